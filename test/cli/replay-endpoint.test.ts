// The bench's replay endpoint is faithful: for every lab it serves, `doplab check <lab>` (the real CLI, over
// the SDK's wire protocols) against the replayed solved world gives the verdicts of `check --facts
// solved.json`, every request it sends is one the recorded gather sent, and it sends each of them.
// Nothing here is timed: bench/run.ts measures.
import { Agent } from 'node:http';
import type { LookupFunction } from 'node:net';
import { join } from 'node:path';
import { CloudWatchLogsClient, DescribeLogGroupsCommand, type DescribeLogGroupsResponse } from '@aws-sdk/client-cloudwatch-logs';
import { GetObjectCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import type { LabResult } from '../../lib/checker';
import { zipTextFiles } from '../../lib/zip';
import { MARKER_WRITTEN, RELEASE_BUCKET, REVISIONS, SOURCE_BUCKET, SOURCE_UPLOADED, SOURCE_VERSIONS } from '../fixtures/broken-pipeline/aws-world';
import { REPLAYABLE_LABS, ReplayAws, recordSolvedGather, wireAnswer, type RecordedExchange, type Recording } from '../support/replay-aws';
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
    const created = (JSON.parse(String(json.body)) as { Stacks: { CreationTime: unknown }[] }).Stacks[0].CreationTime;
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
    expect(JSON.parse(String(json.body))).toEqual({ __type: 'AccessDenied', message: 'User is not authorized' });
  });
});

describe('the replay endpoint on S3 (restXml)', () => {
  let recording: Recording;
  let replay: ReplayAws | undefined;
  beforeAll(async () => {
    recording = await recordSolvedGather('broken-pipeline');
  });
  afterEach(async () => {
    await replay?.stop();
    replay = undefined;
  });

  const credentials = { accessKeyId: CREDENTIALS.AWS_ACCESS_KEY_ID, secretAccessKey: CREDENTIALS.AWS_SECRET_ACCESS_KEY };
  const getObject = (exchange: RecordedExchange) => exchange.commandName === 'GetObjectCommand';
  const source = () => recording.exchanges.find((e) => getObject(e) && e.input.Bucket === SOURCE_BUCKET)!;
  const marker = () => recording.exchanges.find((e) => getObject(e) && e.input.Bucket === RELEASE_BUCKET)!;

  it("records a streamed Body's bytes, the gather still reading them (the solved facts hold the buildspec they carry)", () => {
    expect(Buffer.from(source().output?.Body as Uint8Array)).toEqual(Buffer.from(SOURCE_VERSIONS[REVISIONS.fixed]));
    expect(recording.file.facts).toMatchObject({ buildspec: { ok: true, value: { sourceVersion: REVISIONS.fixed, text: expect.stringContaining('nodejs: 22') } } });
    // Recorded path-style, although the SDK addressed AWS virtual-hosted (bucket.s3.eu-west-1.amazonaws.com).
    expect(source().request.path).toBe(`/${SOURCE_BUCKET}/source.zip`);
  });

  it('writes header-bound members as the headers S3 sends and the payload as the body', () => {
    const answer = wireAnswer(source());
    expect(answer.status).toBe(200);
    expect(answer.headers).toMatchObject({
      'content-type': 'application/zip',
      'x-amz-version-id': REVISIONS.fixed,
      'last-modified': SOURCE_UPLOADED[REVISIONS.fixed].toUTCString(),
      'content-length': String(SOURCE_VERSIONS[REVISIONS.fixed].byteLength),
      etag: expect.stringMatching(/^"[0-9a-f]{32}"$/),
      'x-amz-checksum-crc32': expect.any(String),
      'x-amz-checksum-type': 'FULL_OBJECT',
      'x-amz-server-side-encryption': 'AES256',
    });
    expect(Buffer.from(answer.body)).toEqual(Buffer.from(SOURCE_VERSIONS[REVISIONS.fixed]));
  });

  it.each([
    ['path-style, on an IP endpoint (as doplab check --endpoint-url http://127.0.0.1:PORT)', false],
    ['virtual-hosted, on a localhost endpoint (bucket.localhost)', true],
  ])('answers GetObject %s with its bytes and headers, the SDK validating the CRC32', async (_, virtualHosted) => {
    replay = await ReplayAws.start(recording);
    // bucket.localhost does not resolve everywhere: this agent connects every host name to the endpoint.
    const lookup: LookupFunction = (_host, options, callback) =>
      options.all ? (callback as (error: null, addresses: { address: string; family: number }[]) => void)(null, [{ address: '127.0.0.1', family: 4 }]) : callback(null, '127.0.0.1', 4);
    const s3 = new S3Client({
      region: recording.region,
      credentials,
      endpoint: virtualHosted ? replay.url.replace('127.0.0.1', 'localhost') : replay.url,
      ...(virtualHosted ? { requestHandler: { httpAgent: new Agent({ lookup }) } } : {}),
    });
    try {
      const object = await s3.send(new GetObjectCommand({ Bucket: SOURCE_BUCKET, Key: 'source.zip', VersionId: REVISIONS.fixed }));
      expect(zipTextFiles(await object.Body!.transformToByteArray())).toEqual(zipTextFiles(SOURCE_VERSIONS[REVISIONS.fixed]));
      expect(object).toMatchObject({ ContentType: 'application/zip', VersionId: REVISIONS.fixed, LastModified: SOURCE_UPLOADED[REVISIONS.fixed], ContentLength: SOURCE_VERSIONS[REVISIONS.fixed].byteLength, ChecksumType: 'FULL_OBJECT' });
      const released = await s3.send(new GetObjectCommand({ Bucket: RELEASE_BUCKET, Key: 'build-info.json' }));
      expect(JSON.parse(await released.Body!.transformToString())).toMatchObject({ buildId: expect.stringMatching(/^doplab-status-page-build:/) });
      expect(released.LastModified).toEqual(MARKER_WRITTEN);
      expect(replay.requests.map((r) => r.exchange)).toEqual([source(), marker()]);
    } finally {
      s3.destroy();
    }
  });

  it('is checked by the SDK: a CRC32 that does not match the bytes fails the read', async () => {
    replay = await ReplayAws.start({ ...recording, exchanges: [{ ...source(), output: { ...source().output, ChecksumCRC32: 'AAAAAA==' } }] });
    const s3 = new S3Client({ region: recording.region, credentials, endpoint: replay.url });
    try {
      const object = await s3.send(new GetObjectCommand({ Bucket: SOURCE_BUCKET, Key: 'source.zip', VersionId: REVISIONS.fixed }));
      await expect(object.Body!.transformToByteArray()).rejects.toThrow(/^Checksum mismatch: expected "AAAAAA==" but received "[\w+/=]+" in response header "x-amz-checksum-crc32"/);
    } finally {
      s3.destroy();
    }
  });

  it('answers an S3 error (NoSuchKey, 404) in S3\'s <Error> shape, which the SDK throws as its NoSuchKey', async () => {
    const missing = { ...marker(), output: undefined, error: { name: 'NoSuchKey', message: 'The specified key does not exist.', status: 404 } };
    expect(wireAnswer(missing).body).toMatch(/<Error><Code>NoSuchKey<\/Code><Message>The specified key does not exist\.<\/Message><RequestId>[\w-]+<\/RequestId><\/Error>$/);
    replay = await ReplayAws.start({ ...recording, exchanges: [missing] });
    const s3 = new S3Client({ region: recording.region, credentials, endpoint: replay.url });
    try {
      const error = await s3.send(new GetObjectCommand({ Bucket: RELEASE_BUCKET, Key: 'build-info.json' })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NoSuchKey);
      expect(error).toMatchObject({ name: 'NoSuchKey', message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } });
    } finally {
      s3.destroy();
    }
  });
});
