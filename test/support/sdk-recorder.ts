// Records the AWS SDK commands code sends, with aws-sdk-client-mock, and reads the ones its source can send, as IAM
// actions: what the policy proofs compare with a role's declared calls.
import { mockClient } from 'aws-sdk-client-mock';
import { sdkCallAction } from '../../lib/policy/sdk-actions';

export type Client = new (config: object) => { send: unknown };

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
  // The package as a namespace (`const ev = require('@aws-sdk/client-eventbridge')`, `import * as ev from …`): its `ev.XCommand` uses.
  const namespaces = /(?:(?:const|let|var)\s+(\w+)\s*=\s*require\(|import\s*\*\s*as\s+(\w+)\s+from\s*)\s*'(@aws-sdk\/client-[\w-]+)'/g;
  for (const match of source.matchAll(namespaces)) {
    const clientName = clientOf(require(match[3]) as Record<string, unknown>);
    const names = new Set([...source.matchAll(new RegExp(`\\b${match[1] ?? match[2]}\\.(\\w+Command)\\b`, 'g'))].map((m) => m[1]));
    for (const name of names) found.push({ clientName, commandName: name, module: match[3] });
  }
  return found;
}

/** Mocks every client `source` uses; answers every command `{}`; returns what each mock recorded, as IAM actions. */
export function recordCalls(source: string): { stubs: { restore(): void }[]; actions: () => string[]; inputs: () => { command: string; input: Record<string, unknown> }[] } {
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
    inputs: () =>
      stubs.flatMap(({ stub }) =>
        stub.calls().map((call) => {
          const command = call.args[0] as { constructor: { name: string }; input: Record<string, unknown> };
          return { command: command.constructor.name, input: command.input };
        }),
      ),
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
export function staticActions(source: string): string[] {
  return commandsInSource(source).flatMap(({ clientName, commandName }) => {
    const { action, extra } = sdkCallAction(clientName, commandName);
    return [action, ...extra];
  });
}

/** The actions of `actions` that `declared` lacks, sorted, once each. */
export function undeclaredIn(actions: readonly string[], declared: ReadonlySet<string>): string[] {
  return [...new Set(actions.filter((a) => !declared.has(a)))].sort();
}
