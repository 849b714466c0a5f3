// The declarations cannot drift from the code (issue 10): each cleanup handler and each solution runs against
// aws-sdk-client-mock; every command it sends, and every command its source can send, maps to an IAM action that
// must be declared (cleanup: its role's calls in calls.ts; solution: solutionActions).
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { mockClient } from 'aws-sdk-client-mock';
import { labPaths } from '../../lib/lab';
import { proofEnv, roleAt } from '../../lib/policy/proof';
import { sdkCallAction } from '../../lib/policy/sdk-actions';
import type { Template } from '../../lib/policy/intrinsics';
import { templatePolicies } from '../../lib/policy/template-policies';
import { LABS } from '../../labs';
import { labRegions } from '../../lib/lab';
import { stackNameFor } from '../../lib/contract';
import { stackContexts, synthLab } from '../support/lab-synth';
import { labCalls, managedPolicy } from '../support/policy-targets';

type Client = new (config: object) => { send: unknown };

/** The client class name of an SDK package (`CloudWatchClient`; not the re-exported base `__Client`). */
function clientOf(sdk: Record<string, unknown>): string {
  const name = Object.keys(sdk).find((k) => /^[A-Z]\w*Client$/.test(k) && typeof sdk[k] === 'function');
  if (!name) throw new Error('no client class in SDK package');
  return name;
}

/** The SDK commands a source file imports or requires, with the client of their package: `{ clientName, commandName }`. */
export function commandsInSource(source: string): { clientName: string; commandName: string; module: string }[] {
  const found: { clientName: string; commandName: string; module: string }[] = [];
  const blocks = /(?:import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*|const\s*\{([^}]*)\}\s*=\s*require\()\s*'(@aws-sdk\/client-[\w-]+)'/g;
  for (const match of source.matchAll(blocks)) {
    const names = (match[1] ?? match[2]).split(',').map((n) => n.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0]).filter(Boolean);
    const sdk = require(match[3]) as Record<string, unknown>;
    const clientName = clientOf(sdk);
    for (const name of names.filter((n) => n.endsWith('Command'))) found.push({ clientName, commandName: name, module: match[3] });
  }
  return found;
}

/** Mocks every client `source` uses; answers every command `{}`; returns what each mock recorded, as IAM actions. */
function recordCalls(source: string): { stubs: { restore(): void }[]; actions: () => string[] } {
  const modules = [...new Set(commandsInSource(source).map((c) => c.module))];
  const stubs = modules.map((m) => {
    const sdk = require(m) as Record<string, Client>;
    const clientName = clientOf(sdk);
    // One stub per client class; its type parameters differ per class, so it is kept as the common shape.
    const stub = mockClient(sdk[clientName] as never) as unknown as {
      onAnyCommand(): { resolves(output: object): unknown };
      restore(): void;
      calls(): { args: unknown[] }[];
    };
    stub.onAnyCommand().resolves({});
    return { stub, clientName, restore: () => stub.restore() };
  });
  return {
    stubs,
    actions: () =>
      stubs.flatMap(({ stub, clientName }) =>
        stub.calls().flatMap((call) => {
          const command = call.args[0] as { constructor: { name: string }; input: object };
          const { action, extra } = sdkCallAction(clientName, command.constructor.name, command.input);
          return [action, ...extra];
        }),
      ),
  };
}

/** Every IAM action the commands of `source` can need (input unknown: the conservative mapping). */
function staticActions(source: string): string[] {
  return commandsInSource(source).flatMap(({ clientName, commandName }) => {
    const { action, extra } = sdkCallAction(clientName, commandName);
    return [action, ...extra];
  });
}

const undeclared = (actions: readonly string[], declared: ReadonlySet<string>) => [...new Set(actions.filter((a) => !declared.has(a)))].sort();

describe.each(LABS.map((lab) => [lab.id, lab] as const))('lab %s', (id, lab) => {
  const handlerFile = join(labPaths(id).dir, 'cleanup.handler.js');

  it('declares for its cleanup role every command the cleanup handler sends or can send', async () => {
    expect(existsSync(handlerFile)).toBe(true);
    const source = readFileSync(handlerFile, 'utf8');
    const { roleCalls } = labCalls(lab);
    const declaredInSomeContext = new Set<string>();
    for (const context of stackContexts(lab)) {
      const { template } = await synthLab(lab, context);
      const env = proofEnv(stackNameFor(id), { regions: labRegions(lab, 'eu-west-1'), context });
      const tp = templatePolicies(template as unknown as Template, env, { managedPolicy });
      // The cleanup's role: Custom::DopLabCleanup → its function → the function's role.
      const [cleanup] = Object.values(template.Resources).filter((r) => r.Type === 'Custom::DopLabCleanup');
      const fnId = ((cleanup.Properties?.ServiceToken as { 'Fn::GetAtt': string[] })['Fn::GetAtt'])[0];
      const roleId = ((template.Resources[fnId].Properties?.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'])[0];
      const role = tp.roles.find((r) => r.logicalId === roleId)!;
      const declaration = roleCalls.find((d) => roleAt(tp, d.role) === role);
      expect([role.path, declaration !== undefined]).toEqual([role.path, true]);
      const declared = new Set(declaration!.calls(env).map((c) => c.action));
      declared.forEach((a) => declaredInSomeContext.add(a));

      const { stubs, actions } = recordCalls(source);
      try {
        const handler = require(handlerFile) as { onDelete: (props: Record<string, string>, log: () => void, sleep: () => Promise<void>) => Promise<void> };
        const { ServiceToken: _token, ServiceTimeout: _timeout, ...props } = tp.resolver.resolve(cleanup.Properties) as Record<string, string>;
        await handler.onDelete({ ...props, PollSeconds: '0' }, () => undefined, async () => undefined).catch(() => undefined);
        const sent = actions();
        expect(sent.length).toBeGreaterThan(0);
        expect({ context, undeclared: undeclared(sent, declared) }).toEqual({ context, undeclared: [] });
      } finally {
        stubs.forEach((s) => s.restore());
      }
    }
    // Every command the source can send, reached by these runs or not (some only in one context, e.g. the lab's own recorder).
    expect(undeclared(staticActions(source), declaredInSomeContext)).toEqual([]);
  });

  it('declares in solutionActions every command the solution sends or can send', async () => {
    const file = `${labPaths(id).solution}.ts`;
    const source = readFileSync(file, 'utf8');
    const declared = new Set(labCalls(lab).solutionActions ?? []);
    expect(declared.size).toBeGreaterThan(0);
    const { stubs, actions } = recordCalls(source);
    try {
      const solve = await lab.loadSolution();
      const outputs = new Proxy({}, { get: (_, key) => `value-of-${String(key)}` });
      const run = solve({ outputs: outputs as never, region: 'eu-west-1', account: '111122223333', client: (ctor) => new (ctor as unknown as Client)({ region: 'eu-west-1' }) as never, log: () => undefined });
      // Empty answers end most solutions early (or leave one waiting): what was sent by then is recorded.
      await Promise.race([run.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 300))]);
      const sent = actions();
      expect(sent.length).toBeGreaterThan(0);
      expect(undeclared(sent, declared)).toEqual([]);
    } finally {
      stubs.forEach((s) => s.restore());
    }
    expect(undeclared(staticActions(source), declared)).toEqual([]);
  });
});

describe('the drift check (control)', () => {
  it('finds an undeclared command in a handler, sent or only importable', async () => {
    const source = "const { ECSClient, ListTaskDefinitionsCommand, DeleteTaskDefinitionsCommand } = require('@aws-sdk/client-ecs');";
    const declared = new Set(['ecs:ListTaskDefinitions']);
    expect(undeclared(staticActions(source), declared)).toEqual(['ecs:DeleteTaskDefinitions']);
    const { stubs, actions } = recordCalls(source);
    try {
      const { ECSClient, DeleteTaskDefinitionsCommand } = await import('@aws-sdk/client-ecs');
      await new ECSClient({ region: 'eu-west-1' }).send(new DeleteTaskDefinitionsCommand({ taskDefinitions: ['web:2'] }));
      expect(undeclared(actions(), declared)).toEqual(['ecs:DeleteTaskDefinitions']);
    } finally {
      stubs.forEach((s) => s.restore());
    }
  });
});
