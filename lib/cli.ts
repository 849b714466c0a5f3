import { Command, CommanderError, Option } from 'commander';
import { DoplabError, ExitCode, exitCodeFor } from './errors';
import { processIo, type Io } from './io';
import type { AwsOptions } from './aws/clients';
import { parseDuration } from './duration';

/** Global options every command takes. */
interface GlobalOptions {
  profile?: string;
  region?: string;
  endpointUrl?: string;
  json?: boolean;
  color: boolean;
  verbose?: boolean;
}

function awsOptions(g: GlobalOptions): AwsOptions & { verbose?: boolean } {
  if (g.endpointUrl !== undefined && g.endpointUrl !== '') {
    let url: URL | undefined;
    try {
      url = new URL(g.endpointUrl);
    } catch {
      url = undefined;
    }
    if (!url || !/^https?:$/.test(url.protocol)) {
      throw new DoplabError('BAD_OPTION', 'usage', `--endpoint-url (or AWS_ENDPOINT_URL) must be an http(s) URL such as http://localhost:4566; got "${g.endpointUrl}".`);
    }
  }
  return { profile: g.profile, region: g.region, endpointUrl: g.endpointUrl || undefined, verbose: g.verbose };
}

// Commands load their modules on demand so that `list` and `check --facts` start fast. A typed
// require, not import(): under tsx's CommonJS hook, import() of a .ts file bypasses the hook.
const registry = (): typeof import('./registry') => require('./registry');
const command = {
  list: (): typeof import('./commands/list') => require('./commands/list'),
  show: (): typeof import('./commands/show') => require('./commands/show'),
  check: (): typeof import('./commands/check') => require('./commands/check'),
  solve: (): typeof import('./commands/solve') => require('./commands/solve'),
  lifecycle: (): typeof import('./commands/lifecycle') => require('./commands/lifecycle'),
  status: (): typeof import('./commands/status') => require('./commands/status'),
  selftest: (): typeof import('./commands/selftest') => require('./commands/selftest'),
  open: (): typeof import('./commands/open') => require('./commands/open'),
};

/** `--ttl 4h` → milliseconds; `--ttl none` → null (no expiry). */
function parseTtl(text: string | undefined): number | null | undefined {
  if (text === undefined) return undefined;
  if (text === 'none') return null;
  const ms = parseDuration(text, '--ttl');
  if (ms < 15 * 60_000 || ms > 7 * 24 * 3600_000) {
    throw new DoplabError('BAD_OPTION', 'usage', `--ttl must be between 15m and 7d (or none); got "${text}".`);
  }
  return ms;
}

/** Builds the CLI; `run` receives each command's exit code. */
export function buildProgram(io: (g: GlobalOptions) => Io, run: (code: Promise<number>) => void): Command {
  const program = new Command('doplab')
    .description('Hands-on AWS labs for the DOP-C02 exam: deploy a scenario, do the task, check it, clean up.')
    .option('--profile <name>', 'AWS profile to use')
    .option('--region <region>', 'AWS region (default: AWS_REGION or the profile)')
    .addOption(new Option('--endpoint-url <url>', 'send every AWS call to this endpoint (e.g. a local AWS emulator)').env('AWS_ENDPOINT_URL'))
    .option('--json', 'machine-readable output on stdout')
    .option('--no-color', 'plain output without colour')
    .option('--verbose', 'show stack traces of errors')
    .showSuggestionAfterError(true)
    .configureOutput({ outputError: (text, write) => write(text) })
    .exitOverride();

  const globals = (cmd: Command) => cmd.optsWithGlobals<GlobalOptions>();

  program
    .command('list')
    .description('list the labs with their exam task statements, time and cost')
    .action((_opts, cmd: Command) =>
      run(
        (async () => {
          const { allLabs } = registry();
          const { listLabs } = command.list();
          const g = globals(cmd);
          return listLabs(allLabs(), io(g), { json: g.json });
        })(),
      ),
    );

  program
    .command('show')
    .description("print a lab's instructions")
    .argument('<lab>', 'lab id')
    .action((labId: string, _opts, cmd: Command) =>
      run(
        (async () => {
          const { findLab } = registry();
          const { showLab } = command.show();
          return showLab(findLab(labId), io(globals(cmd)));
        })(),
      ),
    );

  program
    .command('check')
    .description("check the learner's work in AWS (or in a saved facts file)")
    .argument('<lab>', 'lab id')
    .option('--junit <file>', 'also write a JUnit XML report')
    .option('--save-facts <file>', 'save what was read from AWS, to re-check offline with --facts')
    .option('--facts <file>', 'check a saved facts file instead of calling AWS')
    .option('--wait <duration>', 'while anything is PENDING, check again until settled (e.g. 10m)')
    .action((labId: string, opts: { junit?: string; saveFacts?: string; facts?: string; wait?: string }, cmd: Command) =>
      run(
        (async () => {
          const { findLab } = registry();
          const { checkLab } = command.check();
          const g = globals(cmd);
          const lab = findLab(labId);
          const waitMs = opts.wait === undefined ? undefined : parseDuration(opts.wait, '--wait');
          return checkLab(lab, awsOptions(g), io(g), { ...opts, json: g.json, waitMs });
        })(),
      ),
    );

  program
    .command('open')
    .description("the lab's instructions and a live checklist in your browser (a page on this machine only)")
    .argument('<lab>', 'lab id')
    .option('--port <port>', 'port on 127.0.0.1 (default: a free one)')
    .option('--no-browser', 'only print the address')
    .option('--facts <file>', 'show a saved facts file instead of calling AWS')
    .action((labId: string, opts: { port?: string; browser: boolean; facts?: string }, cmd: Command) =>
      run(
        (async () => {
          const { findLab } = registry();
          const { openLab } = command.open();
          const g = globals(cmd);
          return openLab(findLab(labId), awsOptions(g), io(g), opts);
        })(),
      ),
    );

  program
    .command('solve')
    .description('apply the reference solution (instructors: demos and content tests)')
    .argument('<lab>', 'lab id')
    .option('--yes', 'do not ask to confirm an account that is not listed as a sandbox')
    .action((labId: string, opts: { yes?: boolean }, cmd: Command) =>
      run(
        (async () => {
          const { findLab } = registry();
          const { solveLab } = command.solve();
          const g = globals(cmd);
          return solveLab(findLab(labId), awsOptions(g), io(g), { yes: opts.yes });
        })(),
      ),
    );

  program
    .command('deploy')
    .description("deploy a lab's starting scenario into the current account and region")
    .argument('<lab>', 'lab id')
    .option('--yes', 'do not ask to confirm an account that is not listed as a sandbox')
    .option('--ttl <duration>', 'delete the lab automatically after this long (e.g. 90m, 8h), or "none"', '4h')
    .action((labId: string, opts: { yes?: boolean; ttl?: string }, cmd: Command) =>
      run(
        (async () => {
          const { findLab } = registry();
          const { deployLab } = command.lifecycle();
          const g = globals(cmd);
          const lab = findLab(labId);
          return deployLab(lab, awsOptions(g), io(g), { yes: opts.yes, ttlMs: parseTtl(opts.ttl) });
        })(),
      ),
    );

  program
    .command('destroy')
    .description('delete a lab and everything the learner made in it, then audit what is left')
    .argument('[lab]', 'lab id')
    .option('--all', 'every doplab lab in the region, then DopLab-Base')
    .option('--yes', 'do not ask to confirm an account that is not listed as a sandbox')
    .action((labId: string | undefined, opts: { all?: boolean; yes?: boolean }, cmd: Command) =>
      run(
        (async () => {
          const { findLab } = registry();
          const { destroyLab } = command.lifecycle();
          const g = globals(cmd);
          if (!opts.all === !labId) throw new DoplabError('BAD_OPTION', 'usage', 'doplab destroy takes a lab id, or --all (not both).');
          const lab = labId ? findLab(labId) : undefined;
          return destroyLab(lab, awsOptions(g), io(g), { all: opts.all, yes: opts.yes });
        })(),
      ),
    );

  program
    .command('status')
    .description('the doplab labs deployed in this account: status, age, time left, cost so far, check passed')
    .option('--all-regions', 'look in every region of the partition')
    .action((opts: { allRegions?: boolean }, cmd: Command) =>
      run(
        (async () => {
          const { statusCommand } = command.status();
          const g = globals(cmd);
          return statusCommand(awsOptions(g), io(g), { json: g.json, allRegions: opts.allRegions });
        })(),
      ),
    );

  program
    .command('selftest')
    .description('maintainers: deploy, check = 0, solve, check = full, destroy, no leftovers (a real sandbox)')
    .argument('[lab]', 'lab id')
    .option('--all', 'every lab in turn')
    .option('--keep', 'leave the lab deployed (skip destroy and the leftover audit)')
    .option('--junit <file>', 'write a JUnit XML report, one testcase per stage (--all: default doplab-selftest.xml)')
    .option('--wait <duration>', 'how long the solved check may wait for AWS to settle', '10m')
    .option('--yes', 'do not ask to confirm an account that is not listed as a sandbox')
    .action((labId: string | undefined, opts: { all?: boolean; keep?: boolean; junit?: string; wait: string; yes?: boolean }, cmd: Command) =>
      run(
        (async () => {
          const { allLabs, findLab } = registry();
          const { selftestCommand } = command.selftest();
          const g = globals(cmd);
          if (!opts.all === !labId) throw new DoplabError('BAD_OPTION', 'usage', 'doplab selftest takes a lab id, or --all (not both).');
          const labs = labId ? [findLab(labId)] : allLabs();
          const junit = opts.junit ?? (opts.all ? 'doplab-selftest.xml' : undefined);
          return selftestCommand(labs, awsOptions(g), io(g), { keep: opts.keep, yes: opts.yes, junit, waitMs: parseDuration(opts.wait, '--wait') });
        })(),
      ),
    );

  program
    .command('synth')
    .description("print a lab's CloudFormation template (offline)")
    .argument('<lab>', 'lab id')
    .action((labId: string, _opts, cmd: Command) =>
      run(
        (async () => {
          const { findLab } = registry();
          const { synthLab } = command.lifecycle();
          const g = globals(cmd);
          return synthLab(findLab(labId), io(g), { verbose: g.verbose });
        })(),
      ),
    );

  program
    .command('grade')
    .description("grade a class: every learner's labs in their own sandbox account (instructors)")
    .requiredOption('--roster <file>', 'CSV: learner,account_id,role_arn[,external_id][,region]')
    .option('--role-name <name>', 'grader role name, for rows without role_arn')
    .option('--external-id <id>', 'external id, for rows without one')
    .option('--labs <ids>', 'comma-separated lab ids (default: every lab)')
    .option('--out <dir>', 'output folder: reports and the resumable cache', 'doplab-grades')
    .option('--concurrency <n>', 'learner accounts graded at once', '10')
    .option('--rate <n>', 'API requests per second per learner account', '10')
    .option('--fresh', 'grade again even where a fresh result is cached')
    .action((opts: { roster: string; roleName?: string; externalId?: string; labs?: string; out: string; concurrency: string; rate: string; fresh?: boolean }, cmd: Command) =>
      run(
        (async () => {
          const { gradeCommand }: typeof import('./commands/grade') = require('./commands/grade');
          const g = globals(cmd);
          return gradeCommand({ ...opts, json: g.json }, awsOptions(g), io(g));
        })(),
      ),
    );

  program
    .command('grader-role')
    .description('print the least-privilege grader role for learner accounts (policy, CloudFormation, or CDK deploy command)')
    .option('--instructor-account <id>', "the instructor's account id, trusted to assume the role (default: your current account)")
    .option('--external-id <id>', 'external id the instructor passes to AssumeRole')
    .option('--role-name <name>', 'role name', 'DopLabGrader')
    .option('--labs <ids>', 'comma-separated lab ids (default: every lab)')
    .addOption(new Option('--format <format>', 'what to print').choices(['policy', 'cloudformation', 'cdk']).default('policy'))
    .action((opts: { instructorAccount?: string; externalId?: string; roleName: string; labs?: string; format: 'policy' | 'cloudformation' | 'cdk' }, cmd: Command) =>
      run(
        (async () => {
          const { graderRoleCommand }: typeof import('./commands/grader-role') = require('./commands/grader-role');
          const g = globals(cmd);
          return graderRoleCommand(opts, awsOptions(g), io(g));
        })(),
      ),
    );

  return program;
}

/** Prints an error the way users read it: message and hint; the stack only with --verbose. */
export function reportError(error: unknown, io: Pick<Io, 'err'>, verbose: boolean): number {
  const code = exitCodeFor(error);
  if (error instanceof DoplabError) {
    io.err(`doplab: ${error.message}`);
    if (error.hint) io.err(`  ${error.hint}`);
  } else {
    io.err(`doplab: internal error: ${(error as Error)?.message ?? String(error)}`);
    io.err('  This is a bug in doplab; please report it with the output of the same command run with --verbose.');
  }
  if (verbose && error instanceof Error) io.err(error.stack ?? '');
  return code;
}

/** Runs the CLI with `argv` (as process.argv) and resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  const colorWanted = !argv.includes('--no-color') && !process.env.NO_COLOR;
  const ioFor = (g: GlobalOptions) => processIo(g.color !== false && colorWanted && Boolean(process.stdout.isTTY));
  let pending: Promise<number> | undefined;
  const program = buildProgram(ioFor, (code) => {
    pending = code;
  });
  try {
    await program.parseAsync([...argv]);
    if (!pending) return ExitCode.OK;
    return await pending;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0) return ExitCode.OK;
      return ExitCode.USAGE;
    }
    return reportError(error, processIo(false), verbose);
  }
}
