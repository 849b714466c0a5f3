// The declarations cannot drift from the solutions (issue 10): each solution runs against aws-sdk-client-mock; every
// command it sends, and every command its source can send, maps to an IAM action that must be in solutionActions.
// (Cleanup handlers are run the same way in policies.test.ts, which has their synthesized stacks.)
import { readFileSync } from 'node:fs';
import { labPaths } from '../../lib/lab';
import type { PolicyDocument } from '../../lib/policy/template-policies';
import { describeFinding, validateDocument } from '../../lib/policy/validate';
import { LABS } from '../../labs';
import { stackNameFor } from '../../lib/contract';
import { TemplateResolver, type Template } from '../../lib/policy/intrinsics';
import { proofEnv } from '../../lib/policy/proof';
import { labCalls, type AnyLab } from '../support/policy-targets';
import { stackContexts, synthLab } from '../support/lab-synth';
import { recordCalls, staticActions, undeclaredIn, type Client } from '../support/sdk-recorder';

describe.each(LABS.map((lab) => [lab.id, lab] as const))('lab %s', (id, lab) => {
  it('declares in solutionActions every command the solution sends or can send', async () => {
    const source = readFileSync(`${labPaths(id).solution}.ts`, 'utf8');
    const declared = new Set(labCalls(lab).solutionActions ?? []);
    expect(declared.size).toBeGreaterThan(0);
    const { stubs, actions, inputs } = recordCalls(source);
    try {
      const solve = await lab.loadSolution();
      // The stack's outputs as the solution reads them in the proof account and region (an ARN it writes into a policy
      // must be checked as the ARN AWS would see).
      const outputs = await stackOutputs(lab);
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

/** The lab stack's outputs (first context), keyed as the solution reads them, resolved in the proof environment (account 111122223333, eu-west-1). */
async function stackOutputs(lab: AnyLab): Promise<Record<string, string>> {
  const { template } = await synthLab(lab, stackContexts(lab)[0]);
  const resolver = new TemplateResolver(template as unknown as Template, proofEnv(stackNameFor(lab.id), { context: stackContexts(lab)[0] }));
  const declared = (template as unknown as { Outputs?: Record<string, { Value: unknown }> }).Outputs ?? {};
  const keys = lab.checker.outputs as Record<string, string>;
  return Object.fromEntries(Object.entries(keys).map(([key, id]) => [key, declared[id] ? String(resolver.resolveLenient(declared[id].Value)) : `value-of-${key}`]));
}

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

  it('finds the commands of a package required or imported as a namespace (ev.PutRuleCommand), sent or only written', async () => {
    const source = "const ev = require('@aws-sdk/client-eventbridge');\nconst send = (c) => c.send(new ev.ListRulesCommand({}));\nnew ev.DeleteRuleCommand({ Name: 'r' });";
    const declared = new Set(['events:ListRules']);
    expect(undeclaredIn(staticActions(source), declared)).toEqual(['events:DeleteRule']);
    expect(undeclaredIn(staticActions("import * as ev from '@aws-sdk/client-eventbridge'; new ev.DeleteRuleCommand({});"), declared)).toEqual(['events:DeleteRule']);
    const { stubs, actions } = recordCalls(source);
    try {
      const ev = await import('@aws-sdk/client-eventbridge');
      await new ev.EventBridgeClient({ region: 'eu-west-1' }).send(new ev.DeleteRuleCommand({ Name: 'r' }));
      expect(undeclaredIn(actions(), declared)).toEqual(['events:DeleteRule']);
    } finally {
      stubs.forEach((s) => s.restore());
    }
  });
});
