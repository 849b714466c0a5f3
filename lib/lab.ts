import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Checker, TaskStatement } from './checker';
import type { OutputKeys } from './contract';

/** One line of a lab's cost estimate. */
export interface CostItem {
  /** The resource, e.g. `Lambda generator (128 MB, 60 invocations/h)`. */
  readonly resource: string;
  readonly usdPerHour: number;
  /** How the number was worked out, from the public price. */
  readonly basis: string;
}

/** What a deployed lab costs per hour, in USD, at us-east-1 on-demand prices. */
export interface CostEstimate {
  readonly usdPerHour: number;
  readonly items: readonly CostItem[];
  /** Where the prices come from and when they were read. */
  readonly pricing: string;
}

/** What a lab's reference solution receives: write-capable clients in the lab's account and region. */
export interface SolutionContext<O extends OutputKeys> {
  readonly outputs: { readonly [P in keyof O]: string };
  readonly region: string;
  readonly account: string;
  /** An SDK client for the lab's region, with doplab's retries, timeouts and error mapping. */
  readonly client: <C extends object>(ctor: new (config: never) => C) => C;
  /** Progress lines for the user. */
  readonly log: (line: string) => void;
}

/** A lab's reference solution: performs the learner's task through the SDK. */
export type Solution<O extends OutputKeys> = (ctx: SolutionContext<O>) => Promise<void>;

/** The CDK stack of a lab; loaded lazily so that `check` never loads aws-cdk-lib. */
export interface LabStackModule {
  /** Adds the lab's stack to a CDK app, named `DopLab-<lab id>`. */
  readonly addLabStack: (app: import('constructs').Construct) => void;
}

/** What a lab's preflight receives before `deploy`: read/write SDK clients in the target account. */
export interface PreflightContext {
  readonly account: string;
  readonly region: string;
  /** An SDK client (default: the deploy region), with doplab's retries, timeouts and error mapping. */
  readonly client: <C extends object>(ctor: new (config: never) => C, region?: string) => C;
  /** Progress lines for the user. */
  readonly log: (line: string) => void;
}

/** What a preflight decided before deploy. */
export interface PreflightResult {
  /**
   * CDK context for the lab's stack, read there with `this.node.tryGetContext(key)`; keys are
   * `doplab:<lab id>:<name>`. Plain `cdk deploy` users pass the same keys with `-c key=value`, so the
   * stack must default to what is safe without them (and the lab README says which keys exist).
   */
  readonly context?: Readonly<Record<string, string>>;
  /** Lines to show the user, e.g. "reusing the account's AWS Config recorder default". */
  readonly notes?: readonly string[];
}

/** The lab's stack as `destroy` read it just before deleting it. */
export interface StackSnapshot {
  readonly outputs: Readonly<Record<string, string>>;
  readonly createdAt?: Date;
}

/** What a lab's leftover audit receives once its stack is gone: read-only SDK clients in the lab's account. */
export interface LeftoverContext {
  readonly account: string;
  /** The region the lab was deployed to. */
  readonly region: string;
  /** Every region the lab touches. */
  readonly regions: readonly string[];
  /** A read-only SDK client (default: the deploy region). */
  readonly client: <C extends object>(ctor: new (config: never) => C, region?: string) => C;
  /** The stack before deletion; absent when there was no stack to delete (destroyed earlier, or never deployed). */
  readonly stack?: StackSnapshot;
}

/** Something a lab can leave behind that the tag audit cannot see: untagged, learner-made or created implicitly. */
export interface Leftover {
  /** The ARN, or the name when the resource has no ARN. */
  readonly resource: string;
  readonly region: string;
  /** Why it counts, e.g. `alarm on the lab's metric namespace DopLab/OrdersApi`. */
  readonly reason: string;
}

export type Difficulty = 'foundational' | 'intermediate' | 'advanced';

/** Everything doplab knows about a lab. */
export interface Lab<O extends OutputKeys = OutputKeys, F = unknown> {
  /** kebab-case id; the stack is `DopLab-<id>`. */
  readonly id: string;
  readonly title: string;
  /** One sentence: the scenario and the task. */
  readonly summary: string;
  readonly taskStatements: readonly TaskStatement[];
  readonly difficulty: Difficulty;
  /** How long the learner's task takes, in minutes. */
  readonly minutes: number;
  /** How long `deploy` takes, in minutes, as measured. */
  readonly deployMinutes: number;
  readonly cost: CostEstimate;
  /**
   * The regions the lab touches, given the region it is deployed to and, when known (`destroy` reads them
   * before deleting), the stack's outputs. @default [deployRegion]
   */
  readonly regions?: (deployRegion: string, outputs?: Readonly<Record<string, string>>) => readonly string[];
  /** Absolute path of the learner instructions (README.md). */
  readonly instructions: string;
  /** Example facts files of the starting and solved states (absolute paths); tests use the same files. */
  readonly examples: { readonly starting: string; readonly solved: string };
  readonly checker: Checker<O, F>;
  readonly loadStack: () => Promise<LabStackModule>;
  /**
   * The lab's own preconditions, run by `deploy` after the account checks: it may stop the deploy (throw
   * a DoplabError saying what to do) or decide stack context (e.g. reuse an existing AWS Config recorder).
   */
  readonly preflight?: (ctx: PreflightContext) => Promise<PreflightResult>;
  /** Every CDK context the stack can be deployed with (what `preflight` chooses between); tests synthesize each. @default [{}] */
  readonly stackContexts?: readonly Readonly<Record<string, string>>[];
  readonly loadSolution: () => Promise<Solution<O>>;
  /**
   * The lab's known implicit leftovers, looked for by `destroy` after the stack is gone, with read-only
   * clients (resources tagged `doplab:lab=<id>` are found without it). @default none
   */
  readonly leftovers?: (ctx: LeftoverContext) => Promise<readonly Leftover[]>;
}

/** What a lab's `lab.ts` declares: its data only. Its files are found by convention (see `defineLab`). */
export type LabData = Omit<Lab, 'instructions' | 'examples' | 'checker' | 'loadStack' | 'loadSolution' | 'preflight' | 'leftovers'>;

/** The repository (or installed package) root: `lib/`'s parent. */
const ROOT = join(__dirname, '..');

/** Where a lab's parts live, by convention, given its id. */
export function labPaths(id: string) {
  const dir = join(ROOT, 'labs', id);
  return {
    dir,
    instructions: join(dir, 'README.md'),
    examples: { starting: join(dir, 'facts', 'starting.json'), solved: join(dir, 'facts', 'solved.json') },
    checker: join(ROOT, 'checkers', id),
    stack: join(dir, 'stack'),
    solution: join(dir, 'solution'),
    leftovers: join(dir, 'leftovers'),
    preflight: join(dir, 'preflight'),
  } as const;
}

/** `require` of a lab part, with a message that names the lab, the part and the file it expected. */
function loadPart<M>(id: string, part: string, path: string, exported: string): M {
  let module: Record<string, unknown>;
  try {
    module = require(path) as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && String((error as Error).message).includes(path)) {
      throw new Error(`Lab ${id} has no ${part}: expected ${path}.ts exporting ${exported}.`, { cause: error });
    }
    throw error;
  }
  if (module[exported] === undefined) throw new Error(`Lab ${id}: ${path} does not export ${exported} (its ${part}).`);
  return module[exported] as M;
}

/** Whether a lab has the optional part at `path` (a `.ts` source or its compiled `.js`). */
function hasPart(path: string): boolean {
  return existsSync(`${path}.ts`) || existsSync(`${path}.js`);
}

/**
 * Declares a lab from its data. Its parts are found by convention and loaded on first use, so `list` and
 * `show` load no SDK client and `check` never loads aws-cdk-lib: `checkers/<id>.ts` (`checker`),
 * `labs/<id>/stack.ts` (`addLabStack`), `solution.ts` (`solve`), `leftovers.ts` (`leftovers`), the optional
 * `preflight.ts` (`preflight`), `README.md` and `facts/{starting,solved}.json`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- labs differ in outputs and facts types
export function defineLab(data: LabData): Lab<any, any> {
  const paths = labPaths(data.id);
  const lab: Lab = {
    ...data,
    instructions: paths.instructions,
    examples: paths.examples,
    get checker() {
      return loadPart<Checker<OutputKeys, unknown>>(data.id, 'checker', paths.checker, 'checker');
    },
    loadStack: async () => ({ addLabStack: loadPart<LabStackModule['addLabStack']>(data.id, 'stack', paths.stack, 'addLabStack') }),
    loadSolution: async () => loadPart<Solution<OutputKeys>>(data.id, 'solution', paths.solution, 'solve'),
    leftovers: async (ctx) => loadPart<NonNullable<Lab['leftovers']>>(data.id, 'leftovers', paths.leftovers, 'leftovers')(ctx),
    // Looked for on first use, not when the catalogue loads: every command loads every lab.
    get preflight() {
      const preflight = hasPart(paths.preflight)
        ? async (ctx: PreflightContext) => loadPart<NonNullable<Lab['preflight']>>(data.id, 'preflight', paths.preflight, 'preflight')(ctx)
        : undefined;
      Object.defineProperty(this, 'preflight', { value: preflight, enumerable: true });
      return preflight;
    },
  };
  return lab;
}

/** The regions a lab touches when deployed to `deployRegion` (`outputs`: its stack's, when known). */
export function labRegions(lab: Pick<Lab, 'regions'>, deployRegion: string, outputs?: Readonly<Record<string, string>>): readonly string[] {
  return lab.regions ? lab.regions(deployRegion, outputs) : [deployRegion];
}
