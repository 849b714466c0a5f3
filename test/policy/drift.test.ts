// The declarations cannot drift from the solutions (issue 10): each solution runs against aws-sdk-client-mock; every
// command it sends, and every command its source can send, maps to an IAM action that must be in solutionActions.
// (Cleanup handlers are run the same way in policies.test.ts, which has their synthesized stacks.)
import { readFileSync } from 'node:fs';
import { labPaths } from '../../lib/lab';
import { LABS } from '../../labs';
import { labCalls } from '../support/policy-targets';
import { recordCalls, staticActions, undeclaredIn, type Client } from '../support/sdk-recorder';

describe.each(LABS.map((lab) => [lab.id, lab] as const))('lab %s', (id, lab) => {
  it('declares in solutionActions every command the solution sends or can send', async () => {
    const source = readFileSync(`${labPaths(id).solution}.ts`, 'utf8');
    const declared = new Set(labCalls(lab).solutionActions ?? []);
    expect(declared.size).toBeGreaterThan(0);
    const { stubs, actions } = recordCalls(source);
    try {
      const solve = await lab.loadSolution();
      const outputs = new Proxy({}, { get: (_, key) => `value-of-${String(key)}` });
      const run = solve({ outputs: outputs as never, region: 'eu-west-1', account: '111122223333', client: (ctor) => new (ctor as unknown as Client)({ region: 'eu-west-1' }) as never, log: () => undefined });
      // Empty answers end most solutions early (or leave one polling): what was sent by then is recorded.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([run.catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, 300)))]);
      clearTimeout(timer);
      const sent = actions();
      expect(sent.length).toBeGreaterThan(0);
      expect(undeclaredIn(sent, declared)).toEqual([]);
    } finally {
      stubs.forEach((s) => s.restore());
    }
    expect(undeclaredIn(staticActions(source), declared)).toEqual([]);
  });
});

describe('the drift check (control)', () => {
  it('finds an undeclared command in a handler, sent or only importable', async () => {
    const source = "const { ECSClient, ListTaskDefinitionsCommand, DeleteTaskDefinitionsCommand } = require('@aws-sdk/client-ecs');";
    const declared = new Set(['ecs:ListTaskDefinitions']);
    expect(undeclaredIn(staticActions(source), declared)).toEqual(['ecs:DeleteTaskDefinitions']);
    const { stubs, actions } = recordCalls(source);
    try {
      const { ECSClient, DeleteTaskDefinitionsCommand } = await import('@aws-sdk/client-ecs');
      await new ECSClient({ region: 'eu-west-1' }).send(new DeleteTaskDefinitionsCommand({ taskDefinitions: ['web:2'] }));
      expect(undeclaredIn(actions(), declared)).toEqual(['ecs:DeleteTaskDefinitions']);
    } finally {
      stubs.forEach((s) => s.restore());
    }
  });
});
