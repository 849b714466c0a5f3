import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient, CloudWatchLogsServiceException, DescribeMetricFiltersCommand, PutMetricFilterCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient, STSServiceException } from '@aws-sdk/client-sts';
import { CredentialsProviderError } from '@smithy/property-provider';
import { AdaptiveRetryStrategy } from '@smithy/util-retry';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsSession, iamAction, isReadOnlyAction, type AwsOptions } from '../../lib/aws/clients';
import { awsErrorName, mapAwsError } from '../../lib/aws/errors';
import { readLabStack, whoAmI } from '../../lib/aws/lab-stack';
import { pickOutputs } from '../../lib/contract';
import { DoplabError, ExitCode, exitCodeFor } from '../../lib/errors';
import {
  CLOUDFORMATION_NS,
  STS_NS,
  callerIdentity,
  queryError,
  queryResponse,
  startFakeAwsEndpoint,
  type FakeAwsEndpoint,
  type FakeResponse,
  type ReceivedRequest,
} from '../support/canned-endpoint';

const credentials = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };

/** Runs `fn` with some environment variables set (undefined: removed), then puts them back. */
async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  apply(vars);
  try {
    return await fn();
  } finally {
    apply(saved);
  }
}

/** A fresh fake AWS per test, answering with `respond`; closed after the test. */
let endpoint: FakeAwsEndpoint | undefined;
async function fakeAws(respond: (request: ReceivedRequest) => FakeResponse): Promise<FakeAwsEndpoint> {
  endpoint = await startFakeAwsEndpoint(respond);
  return endpoint;
}
let sessions: AwsSession[] = [];
function session(options: AwsOptions = {}, env: NodeJS.ProcessEnv = {}): AwsSession {
  const s = new AwsSession({ credentials, ...options }, env);
  sessions.push(s);
  return s;
}
afterEach(async () => {
  for (const s of sessions) s.destroy();
  sessions = [];
  await endpoint?.close();
  endpoint = undefined;
});

describe('iamAction', () => {
  it('maps an SDK client and command to the IAM action', () => {
    expect(iamAction(CloudWatchLogsClient.name, DescribeMetricFiltersCommand.name)).toBe('logs:DescribeMetricFilters');
    expect(iamAction(STSClient.name, GetCallerIdentityCommand.name)).toBe('sts:GetCallerIdentity');
    expect(iamAction(CloudFormationClient.name, 'DescribeStacksCommand')).toBe('cloudformation:DescribeStacks');
  });

  it('knows the services whose IAM prefix differs from the client name', () => {
    expect(iamAction('ElasticLoadBalancingV2Client', 'DescribeTargetHealthCommand')).toBe('elasticloadbalancing:DescribeTargetHealth');
    expect(iamAction('ConfigServiceClient', 'DescribeConfigRulesCommand')).toBe('config:DescribeConfigRules');
    expect(iamAction('EventBridgeClient', 'ListRulesCommand')).toBe('events:ListRules');
    expect(iamAction('SchedulerClient', 'GetScheduleCommand')).toBe('scheduler:GetSchedule');
    expect(iamAction('ResourceGroupsTaggingAPIClient', 'GetResourcesCommand')).toBe('tag:GetResources');
    expect(iamAction('SFNClient', 'DescribeStateMachineCommand')).toBe('states:DescribeStateMachine');
    expect(iamAction('ApplicationAutoScalingClient', 'DescribeScalingPoliciesCommand')).toBe('application-autoscaling:DescribeScalingPolicies');
  });

  it('lower-cases every other client name', () => {
    expect(iamAction('CodeDeployClient', 'GetDeploymentGroupCommand')).toBe('codedeploy:GetDeploymentGroup');
    expect(iamAction('IAMClient', 'SimulatePrincipalPolicyCommand')).toBe('iam:SimulatePrincipalPolicy');
  });
});

describe('isReadOnlyAction', () => {
  it.each([
    'logs:DescribeMetricFilters',
    'logs:TestMetricFilter',
    'logs:FilterLogEvents',
    'iam:SimulatePrincipalPolicy',
    'cloudtrail:LookupEvents',
    'dynamodb:BatchGetItem',
    'ssm:GetParameter',
    'ecr:ListImages',
    'dynamodb:Scan',
    'dynamodb:Query',
  ])('treats %s as a read', (action) => {
    expect(isReadOnlyAction(action)).toBe(true);
  });

  // Scan and Query are reads of DynamoDB only, and only as whole operation names.
  it.each(['logs:PutMetricFilter', 'logs:DeleteLogGroup', 'sts:AssumeRole', 'cloudformation:CreateStack', 'ssm:SendCommand', 'DescribeStacks', 'dynamodb:ScanAndDelete', 'ecr:StartImageScan', 'timestream:Query', 'Scan'])(
    'treats %s as not a read',
    (action) => {
      expect(isReadOnlyAction(action)).toBe(false);
    },
  );
});

describe('AwsSession configuration', () => {
  it('puts --region before AWS_REGION', async () => {
    const client = session({ region: 'eu-west-1' }, { AWS_REGION: 'us-east-1' }).client(STSClient);
    expect(await client.config.region()).toBe('eu-west-1');
  });

  it('uses AWS_REGION, then AWS_DEFAULT_REGION, when --region is not given', async () => {
    expect(await session({}, { AWS_REGION: 'us-west-2', AWS_DEFAULT_REGION: 'ap-south-1' }).client(STSClient).config.region()).toBe('us-west-2');
    expect(await session({}, { AWS_DEFAULT_REGION: 'ap-south-1' }).client(STSClient).config.region()).toBe('ap-south-1');
    expect(session({}, {}).configuredRegion).toBeUndefined();
  });

  it("builds a client for another region than the session's when asked", async () => {
    const s = session({ region: 'eu-west-1' });
    expect(await s.client(STSClient, 'us-east-1').config.region()).toBe('us-east-1');
  });

  it('retries adaptively, 6 attempts by default', async () => {
    const client = session({ region: 'eu-west-1' }).client(STSClient);
    expect(client.config.retryMode).toBe('adaptive');
    expect(await client.config.maxAttempts()).toBe(6);
    expect((await client.config.retryStrategy()) as unknown).toBeInstanceOf(AdaptiveRetryStrategy);
  });

  it('takes the number of attempts from the options', async () => {
    expect(await session({ region: 'eu-west-1', maxAttempts: 2 }).client(STSClient).config.maxAttempts()).toBe(2);
  });

  it('shares one client per class and region, and builds read-only clients apart', () => {
    const s = session({ region: 'eu-west-1' });
    expect(s.client(STSClient)).toBe(s.client(STSClient));
    expect(s.client(STSClient, 'us-east-1')).not.toBe(s.client(STSClient));
    expect(s.readOnlyClient(STSClient)).not.toBe(s.client(STSClient));
    expect(s.readOnlyClient(STSClient)).toBe(s.readOnlyClient(STSClient));
  });

  it('closes every client it built on destroy, those built for a listener too', () => {
    const s = new AwsSession({ region: 'eu-west-1', credentials }, {});
    const clients = [s.client(STSClient), s.readOnlyClient(STSClient), s.readOnlyClient(STSClient, undefined, () => undefined)];
    const destroyed = clients.map((c) => jest.spyOn(c, 'destroy'));
    s.destroy();
    for (const spy of destroyed) expect(spy).toHaveBeenCalledTimes(1);
  });

  it('resolves the endpoint from --endpoint-url first, then AWS_ENDPOINT_URL', () => {
    expect(session({ endpointUrl: 'http://127.0.0.1:4566' }, { AWS_ENDPOINT_URL: 'http://127.0.0.1:9999' }).endpointUrl).toBe('http://127.0.0.1:4566');
    expect(session({}, { AWS_ENDPOINT_URL: 'http://127.0.0.1:9999' }).endpointUrl).toBe('http://127.0.0.1:9999');
    expect(session({}, { AWS_ENDPOINT_URL: '' }).endpointUrl).toBeUndefined();
  });
});

describe('AwsSession calls, through the whole SDK middleware stack (a local fake AWS endpoint)', () => {
  it('sends calls to --endpoint-url', async () => {
    const aws = await fakeAws(() => callerIdentity('111122223333'));
    const sts = session({ region: 'eu-west-1', endpointUrl: aws.url }).client(STSClient);
    expect((await sts.send(new GetCallerIdentityCommand({}))).Account).toBe('111122223333');
    expect(aws.requests.map((r) => [r.method, r.action, r.headers.host])).toEqual([['POST', 'GetCallerIdentity', aws.url.replace('http://', '')]]);
    // Signed for the session's region.
    expect(aws.requests[0].headers.authorization).toContain('/eu-west-1/sts/aws4_request');
  });

  it('addresses S3 path-style on an endpoint named by host name (a local emulator at localhost), virtual-hosted on AWS', async () => {
    const aws = await fakeAws(() => ({ status: 200, body: 'hello', contentType: 'text/plain' }));
    const local = aws.url.replace('127.0.0.1', 'localhost');
    const s3 = session({ region: 'eu-west-1', endpointUrl: local }).client(S3Client);
    const answer = await s3.send(new GetObjectCommand({ Bucket: 'doplab-release', Key: 'marker.json' }));
    expect(await answer.Body?.transformToString()).toBe('hello');
    expect(aws.requests.map((r) => [r.method, r.url.split('?')[0], r.headers.host])).toEqual([['GET', '/doplab-release/marker.json', new URL(local).host]]);
    // Without an endpoint override the SDK keeps AWS's own addressing: the bucket in the host name.
    const onAws = session({ region: 'eu-west-1' }).client(S3Client);
    const endpoint = await onAws.config.endpointProvider({ Bucket: 'doplab-release', Region: 'eu-west-1', ForcePathStyle: await onAws.config.forcePathStyle, UseFIPS: false, UseDualStack: false, Accelerate: false, UseArnRegion: false, DisableMultiRegionAccessPoints: false, UseGlobalEndpoint: false, DisableS3ExpressSessionAuth: false }, {});
    expect(endpoint.url.host).toBe('doplab-release.s3.eu-west-1.amazonaws.com');
  });

  it('sends calls to AWS_ENDPOINT_URL when --endpoint-url is not given', async () => {
    const aws = await fakeAws(() => callerIdentity());
    const sts = session({ region: 'eu-west-1' }, { AWS_ENDPOINT_URL: aws.url }).client(STSClient);
    await sts.send(new GetCallerIdentityCommand({}));
    expect(aws.requests.map((r) => r.headers.host)).toEqual([new URL(aws.url).host]);
  });

  it('prefers --endpoint-url over AWS_ENDPOINT_URL', async () => {
    const aws = await fakeAws(() => callerIdentity());
    const sts = session({ region: 'eu-west-1', endpointUrl: aws.url }, { AWS_ENDPOINT_URL: 'http://127.0.0.1:1' }).client(STSClient);
    await sts.send(new GetCallerIdentityCommand({}));
    expect(aws.requests).toHaveLength(1);
  });

  it('reports every call of a read-only client to its listener, as an IAM action', async () => {
    const aws = await fakeAws(() => callerIdentity());
    const seen: string[] = [];
    const sts = session({ region: 'eu-west-1', endpointUrl: aws.url }).readOnlyClient(STSClient, undefined, (a) => seen.push(a));
    await sts.send(new GetCallerIdentityCommand({}));
    await sts.send(new GetCallerIdentityCommand({}));
    expect(seen).toEqual(['sts:GetCallerIdentity', 'sts:GetCallerIdentity']);
  });

  it('refuses a command that is not a read before it reaches the network', async () => {
    const aws = await fakeAws(() => callerIdentity());
    const seen: string[] = [];
    const sts = session({ region: 'eu-west-1', endpointUrl: aws.url }).readOnlyClient(STSClient, undefined, (a) => seen.push(a));
    const refused = sts.send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::123456789012:role/admin', RoleSessionName: 'x' }));
    await expect(refused).rejects.toBeInstanceOf(DoplabError);
    await expect(refused).rejects.toMatchObject({
      code: 'INTERNAL',
      source: 'harness',
      message: 'Refused sts:AssumeRole: checkers may only read (Describe/Get/List/Test/Simulate/BatchGet/Lookup/Filter/dynamodb:Scan/dynamodb:Query).',
    });
    expect(aws.requests).toEqual([]);
    expect(seen).toEqual([]);
  });

  it('refuses writes from a read-only client of any service', async () => {
    const aws = await fakeAws(() => ({ status: 200, body: '{}', contentType: 'application/x-amz-json-1.1' }));
    const logs = session({ region: 'eu-west-1', endpointUrl: aws.url }).readOnlyClient(CloudWatchLogsClient);
    await expect(
      logs.send(new PutMetricFilterCommand({ logGroupName: '/demo', filterName: 'f', filterPattern: 'ERROR', metricTransformations: [] })),
    ).rejects.toThrow('Refused logs:PutMetricFilter');
    expect(aws.requests).toEqual([]);
  });

  it('lets a write-capable client send any command, and maps its errors', async () => {
    const aws = await fakeAws(() =>
      queryError(STS_NS, 'AccessDenied', 'User: arn:aws:iam::123456789012:user/learner is not authorized to perform: sts:AssumeRole', 403),
    );
    const sts = session({ region: 'eu-west-1', endpointUrl: aws.url }).client(STSClient);
    await expect(sts.send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::123456789012:role/grader', RoleSessionName: 'x' }))).rejects.toMatchObject({
      code: 'ACCESS_DENIED',
      action: 'sts:AssumeRole',
      message: 'Access denied: sts:AssumeRole in eu-west-1 is not allowed.',
    });
    expect(aws.requests.map((r) => r.action)).toEqual(['AssumeRole']);
  });

  it('maps an error response to a DoplabError that names the IAM action and keeps the AWS error as cause', async () => {
    const aws = await fakeAws(() => queryError(STS_NS, 'ExpiredToken', 'The security token included in the request is expired', 403));
    const sts = session({ region: 'eu-west-1', endpointUrl: aws.url }).readOnlyClient(STSClient);
    const error = await sts.send(new GetCallerIdentityCommand({})).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DoplabError);
    expect(error).toMatchObject({
      code: 'EXPIRED_CREDENTIALS',
      source: 'environment',
      action: 'sts:GetCallerIdentity',
      message: 'Your AWS credentials have expired (sts:GetCallerIdentity in eu-west-1).',
    });
    expect(awsErrorName(error)).toBe('ExpiredToken');
    expect(exitCodeFor(error)).toBe(ExitCode.ENVIRONMENT);
  });

  it('retries a throttled call and succeeds', async () => {
    let calls = 0;
    const aws = await fakeAws(() => (++calls === 1 ? queryError(STS_NS, 'Throttling', 'Rate exceeded') : callerIdentity()));
    const sts = session({ region: 'eu-west-1', endpointUrl: aws.url, maxAttempts: 3 }).client(STSClient);
    expect((await sts.send(new GetCallerIdentityCommand({}))).Account).toBe('123456789012');
    expect(aws.requests).toHaveLength(2);
  });

  it('says THROTTLED when AWS keeps throttling through every attempt', async () => {
    const aws = await fakeAws(() => queryError(STS_NS, 'Throttling', 'Rate exceeded'));
    const sts = session({ region: 'eu-west-1', endpointUrl: aws.url, maxAttempts: 2 }).client(STSClient);
    await expect(sts.send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({
      code: 'THROTTLED',
      message: 'AWS kept throttling sts:GetCallerIdentity in eu-west-1 after retries: Rate exceeded',
    });
    expect(aws.requests).toHaveLength(2);
  });

  it('gives up on a call that gets no answer within the per-call timeout', async () => {
    const aws = await fakeAws(() => 'hang');
    const sts = session({ region: 'eu-west-1', endpointUrl: aws.url, maxAttempts: 1, requestTimeoutMs: 200 }).client(STSClient);
    const started = Date.now();
    await expect(sts.send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({
      code: 'TIMEOUT',
      message: 'sts:GetCallerIdentity in eu-west-1 timed out.',
    });
    expect(Date.now() - started).toBeLessThan(3000);
  }, 10_000);

  it('says NO_CREDENTIALS when no credentials can be found', async () => {
    const aws = await fakeAws(() => callerIdentity());
    const dir = mkdtempSync(join(tmpdir(), 'doplab-aws-'));
    try {
      await withEnv(
        {
          AWS_CONFIG_FILE: join(dir, 'config'),
          AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
          AWS_PROFILE: undefined,
          AWS_ACCESS_KEY_ID: undefined,
          AWS_SECRET_ACCESS_KEY: undefined,
          AWS_SESSION_TOKEN: undefined,
          AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
          AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
          AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
          AWS_EC2_METADATA_DISABLED: 'true',
        },
        async () => {
          const s = new AwsSession({ region: 'eu-west-1', endpointUrl: aws.url }, {});
          sessions.push(s);
          await expect(s.client(STSClient).send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({
            code: 'NO_CREDENTIALS',
            message: 'No AWS credentials found (needed for sts:GetCallerIdentity in eu-west-1).',
          });
        },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(aws.requests).toEqual([]);
  });
});

describe('aws-sdk-client-mock', () => {
  // Mocks replace Client.send, so the session's middleware (guard, listener, error mapping) does not
  // run under them: gather tests with mocks prove the commands sent, not the guard. The guard is
  // proven above against a local endpoint. If this test starts failing, mocks run middleware now.
  // Created in the test: mockClient patches STSClient.prototype.send for the whole file until restored.
  it('bypasses the read-only guard and the listener', async () => {
    const sts = mockClient(STSClient);
    try {
      sts.on(AssumeRoleCommand).resolves({});
      const seen: string[] = [];
      const client = session({ region: 'eu-west-1' }).readOnlyClient(STSClient, undefined, (a) => seen.push(a));
      await expect(client.send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::123456789012:role/x', RoleSessionName: 'x' }))).resolves.toEqual({});
      expect(seen).toEqual([]);
    } finally {
      sts.restore();
    }
  });
});

describe('mapAwsError', () => {
  const site = { action: 'logs:DescribeMetricFilters', region: 'eu-west-1' };
  const serviceError = (name: string, message: string) =>
    new CloudWatchLogsServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: 400 }, message });

  it('says NO_CREDENTIALS when the credential chain finds nothing', () => {
    const error = mapAwsError(new CredentialsProviderError('Could not load credentials from any providers', { tryNextLink: false }), site);
    expect(error).toMatchObject({
      code: 'NO_CREDENTIALS',
      source: 'environment',
      action: 'logs:DescribeMetricFilters',
      message: 'No AWS credentials found (needed for logs:DescribeMetricFilters in eu-west-1).',
      hint: 'Pass --profile, set AWS_PROFILE, run `aws sso login`, or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.',
    });
    expect(exitCodeFor(error)).toBe(3);
  });

  it.each(['ExpiredToken', 'ExpiredTokenException'])('says EXPIRED_CREDENTIALS for %s', (name) => {
    const error = mapAwsError(serviceError(name, 'The security token included in the request is expired'), site);
    expect(error).toMatchObject({
      code: 'EXPIRED_CREDENTIALS',
      message: 'Your AWS credentials have expired (logs:DescribeMetricFilters in eu-west-1).',
      hint: 'Refresh them (e.g. `aws sso login --profile <profile>`) and run the command again.',
    });
    expect(exitCodeFor(error)).toBe(3);
  });

  it('says NO_CREDENTIALS when AWS does not recognise the keys', () => {
    const error = mapAwsError(serviceError('UnrecognizedClientException', 'The security token included in the request is invalid.'), site);
    expect(error).toMatchObject({
      code: 'NO_CREDENTIALS',
      message: 'AWS rejected the credentials for logs:DescribeMetricFilters in eu-west-1: The security token included in the request is invalid.',
    });
  });

  it('says ACCESS_DENIED and names the action in the message and the hint', () => {
    const error = mapAwsError(
      serviceError(
        'AccessDeniedException',
        'User: arn:aws:sts::123456789012:assumed-role/grader/x is not authorized to perform: logs:DescribeMetricFilters',
      ),
      site,
    );
    expect(error).toMatchObject({
      code: 'ACCESS_DENIED',
      source: 'environment',
      action: 'logs:DescribeMetricFilters',
      message: 'Access denied: logs:DescribeMetricFilters in eu-west-1 is not allowed.',
      hint: 'Allow logs:DescribeMetricFilters for the identity you use (doplab grader-role lists every action checkers need).',
    });
    expect(exitCodeFor(error)).toBe(3);
  });

  it('says THROTTLED for ThrottlingException', () => {
    const error = mapAwsError(serviceError('ThrottlingException', 'Rate exceeded'), site);
    expect(error).toMatchObject({
      code: 'THROTTLED',
      message: 'AWS kept throttling logs:DescribeMetricFilters in eu-west-1 after retries: Rate exceeded',
      hint: 'Wait a minute and run again; other tools calling the same API in this account share its rate limit.',
    });
    expect(exitCodeFor(error)).toBe(3);
  });

  it('says TIMEOUT for the HTTP handler TimeoutError', () => {
    const timeout = Object.assign(new Error('@smithy/node-http-handler - [ERROR] a request has exceeded the configured 15000 ms requestTimeout.'), {
      name: 'TimeoutError',
      code: 'ETIMEDOUT',
    });
    const error = mapAwsError(timeout, site);
    expect(error).toMatchObject({ code: 'TIMEOUT', message: 'logs:DescribeMetricFilters in eu-west-1 timed out.', hint: 'Check the network or --endpoint-url, then run again.' });
    expect(exitCodeFor(error)).toBe(3);
  });

  it('says AWS_ERROR with a network hint when the host does not resolve (ENOTFOUND)', () => {
    const dns = Object.assign(new Error('getaddrinfo ENOTFOUND logs.eu-wset-1.amazonaws.com'), {
      code: 'ENOTFOUND',
      errno: -3008,
      syscall: 'getaddrinfo',
      hostname: 'logs.eu-wset-1.amazonaws.com',
      $metadata: { attempts: 1, totalRetryDelay: 0 },
    });
    const error = mapAwsError(dns, { ...site, region: 'eu-wset-1' });
    expect(error).toMatchObject({
      code: 'AWS_ERROR',
      message: 'Could not reach AWS for logs:DescribeMetricFilters in eu-wset-1: getaddrinfo ENOTFOUND logs.eu-wset-1.amazonaws.com',
      hint: 'Check the region name, the network, or --endpoint-url.',
    });
    expect(exitCodeFor(error)).toBe(3);
  });

  it('says REGION_DISABLED for an opt-in region that is not enabled', () => {
    const error = mapAwsError(serviceError('OptInRequired', 'You are not subscribed to this service.'), { ...site, region: 'af-south-1' });
    expect(error).toMatchObject({ code: 'REGION_DISABLED', message: 'Region af-south-1 is not enabled for this account.' });
  });

  it('says AWS_ERROR with the AWS name and message for anything else', () => {
    const error = mapAwsError(serviceError('InvalidParameterException', 'Invalid metric filter pattern'), site);
    expect(error).toMatchObject({
      code: 'AWS_ERROR',
      source: 'environment',
      action: 'logs:DescribeMetricFilters',
      message: 'logs:DescribeMetricFilters in eu-west-1 failed: InvalidParameterException: Invalid metric filter pattern',
    });
    expect(error.hint).toBeUndefined();
    expect(error.cause).toBeInstanceOf(CloudWatchLogsServiceException);
    expect(exitCodeFor(error)).toBe(3);
  });

  it('describes a thrown non-error', () => {
    expect(mapAwsError('socket hang up', site).message).toBe('logs:DescribeMetricFilters in eu-west-1 failed: Error: socket hang up');
  });

  it('passes a DoplabError through unchanged', () => {
    const original = new DoplabError('INTERNAL', 'harness', 'Refused logs:PutMetricFilter');
    expect(mapAwsError(original, site)).toBe(original);
  });

  it('finds the AWS error name behind a mapped error', () => {
    const error = mapAwsError(new STSServiceException({ name: 'ExpiredToken', $fault: 'client', $metadata: {}, message: 'expired' }), site);
    expect(awsErrorName(error)).toBe('ExpiredToken');
  });
});

describe('exitCodeFor', () => {
  it('gives 2 for usage errors, 3 for the environment and the learner, 4 for harness bugs and foreign errors', () => {
    expect(exitCodeFor(new DoplabError('UNKNOWN_LAB', 'usage', 'x'))).toBe(2);
    expect(exitCodeFor(new DoplabError('LAB_NOT_DEPLOYED', 'environment', 'x'))).toBe(3);
    expect(exitCodeFor(new DoplabError('INTERNAL', 'learner', 'x'))).toBe(3);
    expect(exitCodeFor(new DoplabError('INTERNAL', 'harness', 'x'))).toBe(4);
    expect(exitCodeFor(new TypeError('x'))).toBe(4);
  });
});

describe('readLabStack', () => {
  const stack = (status: string, outputs = '') =>
    queryResponse(
      CLOUDFORMATION_NS,
      'DescribeStacks',
      '<Stacks><member>' +
        '<StackId>arn:aws:cloudformation:eu-west-1:123456789012:stack/DopLab-demo-lab/5c7a9d10-af31-11e0-8154-cbc7ccf896c7</StackId>' +
        '<StackName>DopLab-demo-lab</StackName>' +
        '<CreationTime>2026-11-23T09:00:00.000Z</CreationTime>' +
        `<StackStatus>${status}</StackStatus>` +
        `<Outputs>${outputs}</Outputs>` +
        '</member></Stacks>',
    );
  const output = (key: string, value: string) => `<member><OutputKey>${key}</OutputKey><OutputValue>${value}</OutputValue></member>`;

  async function read(response: FakeResponse, listener?: (action: string) => void) {
    const aws = await fakeAws(() => response);
    return readLabStack(session({ endpointUrl: aws.url }), 'demo-lab', 'eu-west-1', listener);
  }

  it('returns the status, creation time and outputs of a deployed lab', async () => {
    const seen: string[] = [];
    const result = await read(stack('CREATE_COMPLETE', output('LogGroupName', '/demo') + output('TopicArn', 'arn:aws:sns:eu-west-1:123456789012:t')), (a) =>
      seen.push(a),
    );
    expect(result).toEqual({
      name: 'DopLab-demo-lab',
      account: '123456789012',
      status: 'CREATE_COMPLETE',
      createdAt: '2026-11-23T09:00:00.000Z',
      outputs: { LogGroupName: '/demo', TopicArn: 'arn:aws:sns:eu-west-1:123456789012:t' },
    });
    expect(seen).toEqual(['cloudformation:DescribeStacks']);
    expect(new URLSearchParams(endpoint!.requests[0].body).get('StackName')).toBe('DopLab-demo-lab');
  });

  it.each(['UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE'])('accepts a stack in %s', async (status) => {
    await expect(read(stack(status))).resolves.toMatchObject({ status, outputs: {} });
  });

  it('says LAB_NOT_DEPLOYED, with the deploy command, when the stack does not exist', async () => {
    const error = await read(queryError(CLOUDFORMATION_NS, 'ValidationError', 'Stack with id DopLab-demo-lab does not exist')).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'LAB_NOT_DEPLOYED',
      source: 'environment',
      message: 'Lab demo-lab is not deployed in eu-west-1 (no stack DopLab-demo-lab).',
      hint: 'Run doplab deploy demo-lab --region eu-west-1.',
    });
    expect(exitCodeFor(error)).toBe(3);
  });

  it('says LAB_NOT_DEPLOYED for a stack that was deleted', async () => {
    await expect(read(stack('DELETE_COMPLETE'))).rejects.toMatchObject({ code: 'LAB_NOT_DEPLOYED', hint: 'Run doplab deploy demo-lab --region eu-west-1.' });
  });

  it('says to wait while the stack is still being created', async () => {
    await expect(read(stack('CREATE_IN_PROGRESS'))).rejects.toMatchObject({
      code: 'LAB_NOT_DEPLOYED',
      message: 'Stack DopLab-demo-lab in eu-west-1 is CREATE_IN_PROGRESS, not ready to check.',
      hint: 'Wait for CloudFormation to finish, then check again.',
    });
  });

  it('says to destroy and deploy again when the stack rolled back', async () => {
    await expect(read(stack('ROLLBACK_COMPLETE'))).rejects.toMatchObject({
      code: 'LAB_NOT_DEPLOYED',
      message: 'Stack DopLab-demo-lab in eu-west-1 is ROLLBACK_COMPLETE, not ready to check.',
      hint: 'Run doplab destroy demo-lab, then doplab deploy demo-lab.',
    });
  });

  it('does not take another ValidationError for a missing stack', async () => {
    await expect(read(queryError(CLOUDFORMATION_NS, 'ValidationError', '1 validation error detected: Value at \'stackName\' failed to satisfy constraint'))).rejects.toMatchObject({
      code: 'AWS_ERROR',
      message: "cloudformation:DescribeStacks in eu-west-1 failed: ValidationError: 1 validation error detected: Value at 'stackName' failed to satisfy constraint",
    });
  });

  it('says ACCESS_DENIED naming cloudformation:DescribeStacks', async () => {
    await expect(
      read(queryError(CLOUDFORMATION_NS, 'AccessDenied', 'User: arn:aws:iam::123456789012:user/x is not authorized to perform: cloudformation:DescribeStacks', 403)),
    ).rejects.toMatchObject({ code: 'ACCESS_DENIED', action: 'cloudformation:DescribeStacks' });
  });
});

describe('whoAmI', () => {
  it('returns the account, ARN and region of the credentials', async () => {
    const aws = await fakeAws(() => callerIdentity('111122223333'));
    await expect(whoAmI(session({ region: 'eu-west-1', endpointUrl: aws.url }))).resolves.toEqual({
      account: '111122223333',
      arn: 'arn:aws:iam::111122223333:user/learner',
      region: 'eu-west-1',
    });
  });

  it('says NO_REGION, without calling AWS, when no region is set anywhere', async () => {
    const aws = await fakeAws(() => callerIdentity());
    const dir = mkdtempSync(join(tmpdir(), 'doplab-aws-'));
    try {
      await withEnv(
        {
          AWS_CONFIG_FILE: join(dir, 'config'),
          AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
          AWS_PROFILE: undefined,
          AWS_REGION: undefined,
          AWS_DEFAULT_REGION: undefined,
        },
        async () => {
          const s = new AwsSession({ credentials, endpointUrl: aws.url }, {});
          sessions.push(s);
          const error = await whoAmI(s).catch((e: unknown) => e);
          expect(error).toMatchObject({
            code: 'NO_REGION',
            source: 'environment',
            message: 'No AWS region is set.',
            hint: 'Pass --region, set AWS_REGION, or give the profile a region.',
          });
          expect(exitCodeFor(error)).toBe(3);
        },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(aws.requests).toEqual([]);
  });
});

describe('pickOutputs', () => {
  const keys = { logGroupName: 'LogGroupName', topicArn: 'TopicArn', functionName: 'FunctionName' } as const;

  it('picks outputs by contract name', () => {
    expect(pickOutputs(keys, { LogGroupName: '/demo', TopicArn: 'arn:t', FunctionName: 'gen', Extra: 'x' }, 'DopLab-demo-lab')).toEqual({
      logGroupName: '/demo',
      topicArn: 'arn:t',
      functionName: 'gen',
    });
  });

  it('names every missing output', () => {
    expect(() => pickOutputs(keys, { LogGroupName: '/demo' }, 'DopLab-demo-lab')).toThrow(
      new DoplabError('STACK_OUTPUT_MISSING', 'environment', 'Stack DopLab-demo-lab has no output TopicArn, FunctionName; it was deployed by another version of this lab.'),
    );
    try {
      pickOutputs(keys, {}, 'DopLab-demo-lab');
    } catch (error) {
      expect(error).toMatchObject({ code: 'STACK_OUTPUT_MISSING', hint: 'Run doplab deploy again to update the stack.' });
    }
  });
});
