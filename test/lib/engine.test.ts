import * as cfnSdk from '@aws-sdk/client-cloudformation';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import * as stsSdk from '@aws-sdk/client-sts';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { z } from 'zod';
import { AwsSession } from '../../lib/aws/clients';
import { defineChecker, type Check, type Verdict } from '../../lib/checker';
import { allPassed, anyPending, checkerActions, evaluate, gatherFacts } from '../../lib/engine';
import { DoplabError } from '../../lib/errors';
import { need, type Fact } from '../../lib/facts';
import { MockedSession } from '../support/mocked-session';

interface Facts {
  readonly retention: Fact<number | null>;
}

const facts: Facts = { retention: { ok: true, value: 14 } };
const meta = { lab: 'demo-lab', account: '123456789012', region: 'eu-west-1', source: 'aws' as const };

const evidence = { observed: 'seen', expected: 'wanted', where: 'log group /demo in eu-west-1' };

function check(id: string, status: Verdict['status'], extra: Partial<Check<Facts>> = {}): Check<Facts> {
  return {
    id,
    title: `Title of ${id}`,
    points: 1,
    taskStatement: '4.1',
    hint: `Hint of ${id}.`,
    run: () => ({ status, evidence }),
    ...extra,
  };
}

describe('evaluate', () => {
  it('awards a passing check its points and the others none', () => {
    const result = evaluate([check('a', 'PASS', { points: 2 }), check('b', 'FAIL', { points: 3 }), check('c', 'PENDING')], facts, meta);
    expect(result.checks.map((c) => [c.id, c.status, c.points, c.maxPoints])).toEqual([
      ['a', 'PASS', 2, 2],
      ['b', 'FAIL', 0, 3],
      ['c', 'PENDING', 0, 1],
    ]);
    expect(result.score).toBe(2);
    expect(result.maxScore).toBe(6);
  });

  it('adds fractional points exactly', () => {
    const result = evaluate([check('a', 'PASS', { points: 0.5 }), check('b', 'PASS', { points: 1.25 })], facts, meta);
    expect(result.score).toBe(1.75);
    expect(result.maxScore).toBe(1.75);
  });

  it('adds decimal points as written, without float drift', () => {
    const result = evaluate([check('a', 'PASS', { points: 0.1 }), check('b', 'PASS', { points: 0.2 }), check('c', 'FAIL', { points: 0.7 })], facts, meta);
    expect(result.score).toBe(0.3);
    expect(result.maxScore).toBe(1);
  });

  it('keeps the evidence and shows the check hint only when the check did not pass', () => {
    const [pass, fail] = evaluate([check('a', 'PASS'), check('b', 'FAIL')], facts, meta).checks;
    expect(pass).toEqual({ id: 'a', title: 'Title of a', taskStatement: '4.1', status: 'PASS', points: 1, maxPoints: 1, evidence });
    expect(fail).toEqual({ id: 'b', title: 'Title of b', taskStatement: '4.1', status: 'FAIL', points: 0, maxPoints: 1, evidence, hint: 'Hint of b.' });
  });

  it("prefers a verdict's own hint over the check's", () => {
    const result = evaluate([check('a', 'FAIL', { run: () => ({ status: 'FAIL', evidence, hint: 'The pattern is case-sensitive.' }) })], facts, meta);
    expect(result.checks[0].hint).toBe('The pattern is case-sensitive.');
  });

  it('skips a check whose dependency failed, without running it', () => {
    const run = jest.fn((): Verdict => ({ status: 'PASS', evidence }));
    const result = evaluate([check('a', 'FAIL'), check('b', 'PASS', { dependsOn: ['a'], run })], facts, meta);
    expect(run).not.toHaveBeenCalled();
    expect(result.checks[1]).toEqual({
      id: 'b',
      title: 'Title of b',
      taskStatement: '4.1',
      status: 'SKIPPED',
      points: 0,
      maxPoints: 1,
      hint: 'Needs a to pass first.',
    });
  });

  it('skips a check whose dependency is still pending', () => {
    const result = evaluate([check('a', 'PENDING'), check('c', 'PASS', { dependsOn: ['a'] })], facts, meta);
    expect(result.checks[1]).toMatchObject({ status: 'SKIPPED', hint: 'Needs a to pass first.' });
  });

  it('skips a check whose dependency errored, without asking the learner to make it pass', () => {
    const result = evaluate(
      [check('a', 'PENDING'), check('b', 'FAIL', { run: () => { throw new Error('boom'); } }), check('c', 'PASS', { dependsOn: ['a', 'b'] })],
      facts,
      meta,
    );
    expect(result.checks[2]).toMatchObject({ status: 'SKIPPED', hint: 'Not checked: b could not be checked (see the error above).' });
  });

  it('skips along a chain of dependencies, naming the nearest one that did not pass', () => {
    const result = evaluate(
      [check('a', 'FAIL'), check('b', 'PASS', { dependsOn: ['a'] }), check('c', 'PASS', { dependsOn: ['b'] }), check('d', 'PASS')],
      facts,
      meta,
    );
    expect(result.checks.map((c) => [c.id, c.status, c.hint])).toEqual([
      ['a', 'FAIL', 'Hint of a.'],
      ['b', 'SKIPPED', 'Needs a to pass first.'],
      ['c', 'SKIPPED', 'Needs b to pass first.'],
      ['d', 'PASS', undefined],
    ]);
  });

  it('runs a check whose dependencies all passed', () => {
    const result = evaluate([check('a', 'PASS'), check('b', 'PASS'), check('c', 'FAIL', { dependsOn: ['a', 'b'] })], facts, meta);
    expect(result.checks[2].status).toBe('FAIL');
  });

  it('turns a throwing check into ERROR with its message, and still runs the others', () => {
    const result = evaluate(
      [
        check('a', 'PASS', {
          run: () => {
            throw new TypeError("Cannot read properties of undefined (reading 'pattern')");
          },
        }),
        check('b', 'PASS'),
      ],
      facts,
      meta,
    );
    expect(result.checks[0]).toEqual({
      id: 'a',
      title: 'Title of a',
      taskStatement: '4.1',
      status: 'ERROR',
      points: 0,
      maxPoints: 1,
      error: { code: 'INTERNAL', message: "check a threw: Cannot read properties of undefined (reading 'pattern')" },
      hint: 'This is not your fault; see the error.',
    });
    expect(result.checks[1].status).toBe('PASS');
    expect(result.score).toBe(1);
  });

  it('keeps the code and hint of a DoplabError thrown by a check', () => {
    const result = evaluate(
      [check('a', 'PASS', { run: () => { throw new DoplabError('NOT_FOUND', 'environment', 'no such log group', { hint: 'Redeploy.' }); } })],
      facts,
      meta,
    );
    expect(result.checks[0]).toMatchObject({ status: 'ERROR', error: { code: 'NOT_FOUND', message: 'check a threw: no such log group' }, hint: 'Redeploy.' });
  });

  it('turns need() on a fact that could not be read into ERROR carrying the AWS error', () => {
    const accessDenied = {
      code: 'ACCESS_DENIED',
      message: 'Access denied: logs:DescribeLogGroups in eu-west-1 is not allowed.',
      action: 'logs:DescribeLogGroups',
      hint: 'Allow logs:DescribeLogGroups for the identity you use (doplab grader-role lists every action checkers need).',
    } as const;
    const denied: Facts = { retention: { ok: false, error: accessDenied } };
    const uses = check('retention-set', 'PASS', {
      run: (f) => ({ status: need(f.retention) === 14 ? 'PASS' : 'FAIL', evidence }),
    });
    const result = evaluate([uses, check('other', 'PASS')], denied, meta);
    expect(result.checks[0]).toMatchObject({
      status: 'ERROR',
      points: 0,
      error: accessDenied,
      hint: accessDenied.hint,
    });
    expect(result.checks[1].status).toBe('PASS');
  });

  it('gives an ERROR from a failed fact without a hint the generic hint', () => {
    const failed: Facts = { retention: { ok: false, error: { code: 'THROTTLED', message: 'AWS kept throttling' } } };
    const result = evaluate([check('a', 'PASS', { run: (f) => ({ status: need(f.retention) ? 'PASS' : 'FAIL', evidence }) })], failed, meta);
    expect(result.checks[0]).toMatchObject({ status: 'ERROR', error: { code: 'THROTTLED', message: 'AWS kept throttling' }, hint: 'This is not your fault; see the error.' });
  });

  it('describes where the facts came from and when', () => {
    const startedAt = new Date('2026-11-23T10:00:00.000Z');
    const result = evaluate([check('a', 'PASS')], facts, { ...meta, source: 'facts-file', startedAt });
    expect(result).toMatchObject({ lab: 'demo-lab', account: '123456789012', region: 'eu-west-1', source: 'facts-file', startedAt: '2026-11-23T10:00:00.000Z' });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('scores an empty checklist 0 of 0', () => {
    expect(evaluate([], facts, meta)).toMatchObject({ score: 0, maxScore: 0, checks: [] });
  });
});

describe('allPassed and anyPending', () => {
  const run = (...statuses: Verdict['status'][]) => evaluate(statuses.map((s, i) => check(`c${i}`, s)), facts, meta);

  it('says all passed only when every check passed', () => {
    expect(allPassed(run('PASS', 'PASS'))).toBe(true);
    expect(allPassed(run('PASS', 'FAIL'))).toBe(false);
    expect(allPassed(run('PASS', 'PENDING'))).toBe(false);
  });

  it('does not count a skipped or errored check as passed', () => {
    expect(allPassed(evaluate([check('a', 'FAIL'), check('b', 'PASS', { dependsOn: ['a'] })], facts, meta))).toBe(false);
    expect(allPassed(evaluate([check('a', 'PASS', { run: () => { throw new Error('x'); } })], facts, meta))).toBe(false);
  });

  it('says something is pending only when a check is PENDING', () => {
    expect(anyPending(run('PASS', 'PENDING', 'FAIL'))).toBe(true);
    expect(anyPending(run('PASS', 'FAIL'))).toBe(false);
  });
});

const demoChecker = defineChecker({
  labId: 'demo-lab',
  outputs: { logGroupName: 'LogGroupName', topicArn: 'TopicArn' } as const,
  actions: ['logs:DescribeLogGroups', 'cloudformation:DescribeStacks', 'logs:DescribeMetricFilters', 'logs:DescribeLogGroups'],
  factsSchema: z.object({ logGroupName: z.string(), topicArn: z.string() }),
  gather: async (ctx) => ({ logGroupName: ctx.outputs.logGroupName, topicArn: ctx.outputs.topicArn }),
  checks: [],
});

describe('checkerActions', () => {
  it('adds cloudformation:DescribeStacks, dedupes and sorts', () => {
    expect(checkerActions(demoChecker)).toEqual(['cloudformation:DescribeStacks', 'logs:DescribeLogGroups', 'logs:DescribeMetricFilters']);
  });

  it('adds cloudformation:DescribeStacks to a checker that declares nothing', () => {
    expect(checkerActions({ ...demoChecker, actions: [] })).toEqual(['cloudformation:DescribeStacks']);
  });
});

describe('gatherFacts', () => {
  const cfn = mockClient(CloudFormationClient);
  const identity = { account: '123456789012', arn: 'arn:aws:iam::123456789012:user/learner', region: 'eu-west-1' };

  beforeEach(() => cfn.reset());
  afterAll(() => cfn.restore());

  it("reads the lab's stack and hands its outputs to gather, typed by the contract", async () => {
    cfn.on(DescribeStacksCommand, { StackName: 'DopLab-demo-lab' }).resolves({
      Stacks: [
        {
          StackName: 'DopLab-demo-lab',
          StackStatus: 'CREATE_COMPLETE',
          CreationTime: new Date('2026-11-23T09:00:00.000Z'),
          Outputs: [
            { OutputKey: 'LogGroupName', OutputValue: '/demo' },
            { OutputKey: 'TopicArn', OutputValue: 'arn:aws:sns:eu-west-1:123456789012:demo' },
          ],
        },
      ],
    });
    const session = new AwsSession({ region: 'eu-west-1' }, {});
    const file = await gatherFacts(demoChecker, session, { identity });
    session.destroy();
    expect(file).toEqual({
      format: 'doplab-facts/1',
      lab: 'demo-lab',
      account: '123456789012',
      region: 'eu-west-1',
      gatheredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      stack: {
        name: 'DopLab-demo-lab',
        status: 'CREATE_COMPLETE',
        outputs: { LogGroupName: '/demo', TopicArn: 'arn:aws:sns:eu-west-1:123456789012:demo' },
      },
      facts: { logGroupName: '/demo', topicArn: 'arn:aws:sns:eu-west-1:123456789012:demo' },
    });
    expect(cfn).toHaveReceivedCommandTimes(DescribeStacksCommand, 1);
  });

  describe('without an identity (doplab check)', () => {
    const sts = mockClient(STSClient);
    const stackOf = (StackId?: string) => ({
      Stacks: [
        {
          ...(StackId ? { StackId } : {}),
          StackName: 'DopLab-demo-lab',
          StackStatus: 'CREATE_COMPLETE' as const,
          CreationTime: new Date('2026-11-23T09:00:00.000Z'),
          Outputs: [
            { OutputKey: 'LogGroupName', OutputValue: '/demo' },
            { OutputKey: 'TopicArn', OutputValue: 'arn:aws:sns:eu-west-1:123456789012:demo' },
          ],
        },
      ],
    });

    const credentials = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
    const mocked = (region: string) => new MockedSession({ region, credentials }, [cfnSdk, stsSdk]);

    beforeEach(() => sts.reset());
    afterAll(() => sts.restore());

    it("takes the account from the stack's ARN and the region from the session: one call, no STS", async () => {
      cfn.on(DescribeStacksCommand).resolves(stackOf('arn:aws:cloudformation:eu-central-1:444455556666:stack/DopLab-demo-lab/5f3c8a20-c98e-11f0-9a1b-0a1b2c3d4e5f'));
      sts.on(GetCallerIdentityCommand).resolves({ Account: '999999999999', Arn: 'arn:aws:iam::999999999999:user/other' });
      const sent: string[] = [];
      const session = mocked('eu-central-1');
      const file = await gatherFacts(demoChecker, session, { listener: (action) => sent.push(action) });
      session.destroy();
      expect(file).toMatchObject({ account: '444455556666', region: 'eu-central-1', stack: { name: 'DopLab-demo-lab' } });
      expect(sent).toEqual(['cloudformation:DescribeStacks']);
      expect(sts).toHaveReceivedCommandTimes(GetCallerIdentityCommand, 0);
    });

    it('asks STS who we are only when the stack ARN carries no account (some emulators)', async () => {
      cfn.on(DescribeStacksCommand).resolves(stackOf());
      sts.on(GetCallerIdentityCommand).resolves({ Account: '444455556666', Arn: 'arn:aws:iam::444455556666:user/learner' });
      const session = mocked('eu-west-1');
      const file = await gatherFacts(demoChecker, session);
      session.destroy();
      expect(file.account).toBe('444455556666');
      expect(sts).toHaveReceivedCommandTimes(GetCallerIdentityCommand, 1);
    });
  });

  it('names the outputs a stack of another version of the lab lacks', async () => {
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [{ StackName: 'DopLab-demo-lab', StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(), Outputs: [{ OutputKey: 'LogGroupName', OutputValue: '/demo' }] }],
    });
    const session = new AwsSession({ region: 'eu-west-1' }, {});
    await expect(gatherFacts(demoChecker, session, { identity })).rejects.toMatchObject({
      code: 'STACK_OUTPUT_MISSING',
      message: 'Stack DopLab-demo-lab has no output TopicArn; it was deployed by another version of this lab.',
    });
    session.destroy();
  });
});
