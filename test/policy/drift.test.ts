// The declarations cannot drift from the solutions (issue 10): each solution runs against aws-sdk-client-mock; every
// command it sends, and every command its source can send, maps to an IAM action that must be in solutionActions.
// (Cleanup handlers are run the same way in policies.test.ts, which has their synthesized stacks.)
import { readFileSync } from 'node:fs';
import { labPaths } from '../../lib/lab';
import type { PolicyDocument } from '../../lib/policy/template-policies';
import { describeFinding, validateDocument } from '../../lib/policy/validate';
import { LABS } from '../../labs';
import { labCalls } from '../support/policy-targets';
import { recordCalls, staticActions, undeclaredIn, type Client } from '../support/sdk-recorder';

describe.each(LABS.map((lab) => [lab.id, lab] as const))('lab %s', (id, lab) => {
  it('declares in solutionActions every command the solution sends or can send', async () => {
    const source = readFileSync(`${labPaths(id).solution}.ts`, 'utf8');
    const declared = new Set(labCalls(lab).solutionActions ?? []);
    expect(declared.size).toBeGreaterThan(0);
    const { stubs, actions, inputs } = recordCalls(source);
    try {
      const solve = await lab.loadSolution();
      const outputs = new Proxy({}, { get: (_, key) => `value-of-${String(key)}` });
      // Empty answers end most solutions early, or leave one waiting to poll again: with the clock stopped, what was sent up
      // to the first wait is recorded and nothing runs after the test.
      jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
      const credentials = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
      const client = (ctor: unknown) => new (ctor as Client)({ region: 'eu-west-1', credentials }) as never;
      let settled = false;
      solve({ outputs: outputs as never, region: 'eu-west-1', account: '111122223333', client, log: () => undefined }).then(
        () => (settled = true),
        () => (settled = true),
      );
      for (let i = 0; i < 50 && !settled; i++) await new Promise((resolve) => setImmediate(resolve));
      const sent = actions();
      expect(sent.length).toBeGreaterThan(0);
      expect(undeclaredIn(sent, declared)).toEqual([]);
      // A policy the solution writes at run time (PutRolePolicy, CreateRole's trust…) fits the reference too.
      const findings = [];
      for (const { command, input } of inputs()) {
        for (const [key, kind] of [['PolicyDocument', 'identity'], ['AssumeRolePolicyDocument', 'trust']] as const) {
          if (typeof input[key] === 'string') findings.push(...(await validateDocument(`${id} solution ${command}.${key}`, JSON.parse(input[key] as string) as PolicyDocument, kind)));
        }
      }
      expect(findings.map(describeFinding)).toEqual([]);
    } finally {
      jest.useRealTimers();
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
