// The bench's replay endpoint is faithful: for every lab it serves, `doplab check <lab>` (the real CLI, over
// the SDK's wire protocols) against the replayed solved world gives the verdicts of `check --facts
// solved.json`, every request it sends is one the recorded gather sent, and it sends each of them.
// Nothing here is timed: bench/run.ts measures.
import { join } from 'node:path';
import { CloudWatchLogsClient, DescribeLogGroupsCommand, type DescribeLogGroupsResponse } from '@aws-sdk/client-cloudwatch-logs';
import type { LabResult } from '../../lib/checker';
import { REPLAYABLE_LABS, ReplayAws, recordSolvedGather, wireAnswer } from '../support/replay-aws';
import { ROOT, doplabAsync, isolatedEnv } from './helpers';

const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };

const verdicts = (result: LabResult) => result.checks.map((c) => ({ id: c.id, status: c.status, points: c.points }));

describe.each(REPLAYABLE_LABS)('doplab check %s against the replay endpoint', (lab) => {
  it('gives the verdicts of check --facts solved.json, sending exactly the recorded requests', async () => {
    const recording = await recordSolvedGather(lab);
    expect(recording.exchanges.length).toBeGreaterThan(1);
    const replay = await ReplayAws.start(recording);
    try {
      const env = isolatedEnv({ ...CREDENTIALS, AWS_REGION: recording.region });
      const live = await doplabAsync(['check', lab, '--endpoint-url', replay.url, '--json'], env);
      const saved = await doplabAsync(['check', lab, '--facts', join(ROOT, 'labs', lab, 'facts', 'solved.json'), '--json'], env);
      expect(live.stderr).not.toContain('doplab:');
      const liveResult = JSON.parse(live.stdout) as LabResult;
      const savedResult = JSON.parse(saved.stdout) as LabResult;
      expect(liveResult.source).toBe('aws');
      expect(verdicts(liveResult)).toEqual(verdicts(savedResult));
      expect(liveResult.score).toBe(savedResult.score);
      expect(live.status).toBe(saved.status);
      // Every request matched a recorded exchange, each recorded exchange was asked for.
      expect(replay.requests.filter((r) => !r.exchange).map((r) => r.operation)).toEqual([]);
      expect(new Set(replay.requests.map((r) => r.exchange)).size).toBe(recording.exchanges.length);
    } finally {
      await replay.stop();
    }
  });
});

describe('the replay endpoint', () => {
  it('answers awsQuery with <XResponse><XResult>, ec2Query without the Result wrapper, JSON with epoch-second timestamps', async () => {
    const { exchanges } = await recordSolvedGather('scaling-self-healing');
    const stack = exchanges.find((e) => e.commandName === 'DescribeStacksCommand')!;
    const query = wireAnswer(stack).body;
    expect(query).toMatch(/^<DescribeStacksResponse xmlns="http:\/\/cloudformation\.amazonaws\.com\/doc\/2010-05-15\/"><DescribeStacksResult><Stacks><member>/);
    expect(query).toContain('<StackName>DopLab-scaling-self-healing</StackName>');
    const ec2 = exchanges.find((e) => e.protocol === 'AwsEc2QueryProtocol')!;
    expect(wireAnswer(ec2).body).toMatch(new RegExp(`^<${ec2.commandName.replace(/Command$/, '')}Response xmlns="http://ec2\\.amazonaws\\.com/doc/[\\d-]+"><requestId>`));
    const json = wireAnswer({ ...stack, protocol: 'AwsJson1_1Protocol' });
    const created = (JSON.parse(json.body) as { Stacks: { CreationTime: unknown }[] }).Stacks[0].CreationTime;
    expect(created).toBe((stack.output as { Stacks: { CreationTime: Date }[] }).Stacks[0].CreationTime.getTime() / 1000);
  });

  it('tells regions apart by the SigV4 credential scope: the same operation with the same parameters in two regions gets each region’s answer', async () => {
    const recording = await recordSolvedGather('stacksets-multi-region');
    const reads = recording.exchanges.filter((e) => e.commandName === 'DescribeLogGroupsCommand');
    expect(reads.map((e) => e.region).sort()).toEqual(['eu-west-1', 'us-east-1']);
    // One URL, one operation, the same body: only the region differs.
    expect(new Set(reads.map((e) => `${e.request.method} ${e.request.path} ${e.request.target} ${e.request.body}`)).size).toBe(1);
    const replay = await ReplayAws.start(recording);
    try {
      // Asked in the order opposite to the recording's, so the first recorded exchange cannot win by default.
      for (const read of [...reads].reverse()) {
        const logs = new CloudWatchLogsClient({ region: read.region, endpoint: replay.url, credentials: { accessKeyId: CREDENTIALS.AWS_ACCESS_KEY_ID, secretAccessKey: CREDENTIALS.AWS_SECRET_ACCESS_KEY } });
        try {
          const answer = await logs.send(new DescribeLogGroupsCommand(read.input));
          expect(answer.logGroups?.map((g) => g.logGroupArn)).toEqual((read.output as DescribeLogGroupsResponse).logGroups?.map((g) => g.logGroupArn));
          expect(answer.logGroups?.[0].logGroupArn).toContain(`:logs:${read.region}:`);
        } finally {
          logs.destroy();
        }
      }
      expect(replay.requests.map((r) => r.exchange)).toEqual([...reads].reverse());
    } finally {
      await replay.stop();
    }
  });

  it('answers a recorded AWS error in the protocol’s error shape', () => {
    const base = { clientName: 'CloudFormationClient', commandName: 'DescribeStacksCommand', region: 'eu-west-1', sdk: '@aws-sdk/client-cloudformation', input: {}, request: { method: 'POST', path: '/', query: '', body: '' } };
    const error = { name: 'AccessDenied', message: 'User is not authorized', status: 403 };
    const query = wireAnswer({ ...base, protocol: 'AwsQueryProtocol', error });
    expect(query.status).toBe(403);
    expect(query.body).toContain('<Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User is not authorized</Message></Error>');
    const json = wireAnswer({ ...base, protocol: 'AwsJson1_1Protocol', error });
    expect(JSON.parse(json.body)).toEqual({ __type: 'AccessDenied', message: 'User is not authorized' });
  });
});
