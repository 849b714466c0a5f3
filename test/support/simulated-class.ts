// A class of simulated learner accounts for grading tests and benchmarks, in process: sessions whose
// clients run their real middleware (doplab's guard, rate limit and error mapping, the SDK's retries
// and signing with the assumed credentials) and are answered at the bottom of the stack, per account,
// with injected latency and throttling. Answers come from a cloudwatch-metric-filters facts file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AwsSession, type AwsOptions, type CallListener } from '../../lib/aws/clients';
import type { CloudWatchMetricFiltersFacts } from '../../checkers/cloudwatch-metric-filters';
import type { FactsFile } from '../../lib/facts-file';
import { awsError } from './mocked-session';

const LAB_FACTS = join(__dirname, '..', '..', 'labs', 'cloudwatch-metric-filters', 'facts');
/** The example facts of the cloudwatch-metric-filters lab, by state. */
export const FACTS = { solved: join(LAB_FACTS, 'solved.json'), starting: join(LAB_FACTS, 'starting.json') } as const;

/** The instructor's account in simulations. */
export const INSTRUCTOR_ACCOUNT = '999988887777';

/** One learner account of the simulated class. */
export interface SimulatedAccount {
  readonly accountId: string;
  /** The grader role deployed there; absent: no role (AssumeRole is denied). */
  readonly roleName?: string;
  readonly externalId?: string;
  /** The lab's state, as a facts file path; absent: the lab is not deployed. */
  readonly facts?: string;
  /** Regions that reject the account's tokens (not enabled). */
  readonly disabledRegions?: readonly string[];
  /** Delay of every answer, in ms. @default the class's */
  readonly latencyMs?: number;
  /** Answer the first N calls with ThrottlingException. */
  readonly throttleFirst?: number;
  /** AWS-side rate limit of the account, a token bucket as AWS documents its API throttling (bucket size = refill per second): calls finding it empty are throttled. */
  readonly awsRatePerSecond?: number;
}

/** A call a simulated account received. */
export interface SimulatedCall {
  readonly accountId: string;
  readonly action: string;
  readonly region: string;
  readonly input: Record<string, unknown>;
  readonly at: number;
}

type Respond = (call: { clientName: string; commandName: string; input: Record<string, unknown>; region: string; accessKeyId: string }) => Promise<object>;

/** An AwsSession whose every client is answered by `respond`, below the real middleware. */
export class SimulatedSession extends AwsSession {
  private readonly answered = new WeakSet<object>();

  constructor(
    options: AwsOptions,
    private readonly respond: Respond,
  ) {
    super(options, {});
  }

  override client<C extends object>(ctor: new (config: never) => C, region?: string): C {
    return this.answer(super.client(ctor, region), region);
  }

  override readOnlyClient<C extends object>(ctor: new (config: never) => C, region?: string, listener?: CallListener): C {
    return this.answer(super.readOnlyClient(ctor, region, listener), region);
  }

  private answer<C extends object>(client: C, region: string | undefined): C {
    if (this.answered.has(client)) return client;
    this.answered.add(client);
    const c = client as unknown as { middlewareStack: { add(m: unknown, o: object): void }; config: { credentials: () => Promise<{ accessKeyId: string }> } };
    const respond = this.respond;
    const resolvedRegion = region ?? this.configuredRegion ?? 'us-east-1';
    c.middlewareStack.add(
      (_next: unknown, context: { clientName: string; commandName: string }) => async (args: { input: Record<string, unknown> }) => {
        const { accessKeyId } = await c.config.credentials();
        const output = await respond({ clientName: context.clientName, commandName: context.commandName.replace(/Command$/, ''), input: args.input, region: resolvedRegion, accessKeyId });
        return { output: { $metadata: { httpStatusCode: 200 }, ...output }, response: { statusCode: 200, headers: {} } };
      },
      { step: 'finalizeRequest', priority: 'low', name: 'answerFromSimulatedAccount' },
    );
    return client;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A simulated class: the instructor's session (STS) and a session factory for learners. */
export class SimulatedClass {
  readonly calls: SimulatedCall[] = [];
  /** Record every call (tests); benchmarks turn it off and read the counters. */
  record = true;
  readonly counts = { assumeRole: 0, learnerCalls: 0, throttled: 0 };
  private readonly byAccount: Map<string, SimulatedAccount>;
  private readonly facts = new Map<string, FactsFile<CloudWatchMetricFiltersFacts>>();
  private readonly seen = new Map<string, number>();
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    accounts: readonly SimulatedAccount[],
    private readonly defaults: { latencyMs?: number; throttleProbability?: number; random?: () => number } = {},
  ) {
    this.byAccount = new Map(accounts.map((a) => [a.accountId, a]));
  }

  /** The instructor's session: answers GetCallerIdentity and AssumeRole. */
  instructorSession(options: AwsOptions = {}): AwsSession {
    return new SimulatedSession({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIAINSTRUCTOR000001', secretAccessKey: 'x' }, ...options }, async (call) => {
      if (call.commandName === 'GetCallerIdentity') return { Account: INSTRUCTOR_ACCOUNT, Arn: `arn:aws:iam::${INSTRUCTOR_ACCOUNT}:user/instructor`, UserId: 'AIDAINSTRUCTOR' };
      if (call.commandName !== 'AssumeRole') throw new Error(`simulated instructor: unexpected ${call.commandName}`);
      return this.assumeRole(call.input);
    });
  }

  /** For GradeClassOptions.newSession: the learner's session, answered by their account. */
  readonly newSession = (options: AwsOptions): AwsSession =>
    new SimulatedSession(options, async (call) => {
      const accountId = call.accessKeyId.replace(/^ASIA/, '').slice(0, 12);
      const account = this.byAccount.get(accountId);
      if (!account) throw awsError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403);
      return this.answerLearner(account, call);
    });

  private async assumeRole(input: Record<string, unknown>): Promise<object> {
    this.counts.assumeRole += 1;
    const arn = String(input.RoleArn);
    const match = /^arn:aws:iam::(\d{12}):role\/(.+)$/.exec(arn);
    const account = match ? this.byAccount.get(match[1]) : undefined;
    if (this.record) this.calls.push({ accountId: match?.[1] ?? '?', action: 'sts:AssumeRole', region: 'eu-west-1', input, at: performance.now() });
    await sleep(this.defaults.latencyMs ?? 0);
    const denied = () =>
      awsError('AccessDenied', `User: arn:aws:iam::${INSTRUCTOR_ACCOUNT}:user/instructor is not authorized to perform: sts:AssumeRole on resource: ${arn}`, 403);
    if (!account || account.roleName === undefined || match![2] !== account.roleName) throw denied();
    if (account.externalId !== undefined && input.ExternalId !== account.externalId) throw denied();
    const seconds = Number(input.DurationSeconds ?? 3600);
    return {
      Credentials: {
        AccessKeyId: `ASIA${account.accountId}EXAMPLE`,
        SecretAccessKey: 'simulated-secret',
        SessionToken: `simulated-token-${account.accountId}`,
        Expiration: new Date(Date.now() + seconds * 1000),
      },
      AssumedRoleUser: { Arn: `arn:aws:sts::${account.accountId}:assumed-role/${account.roleName}/${String(input.RoleSessionName)}`, AssumedRoleId: `AROASIMULATED:${String(input.RoleSessionName)}` },
    };
  }

  private factsOf(path: string): FactsFile<CloudWatchMetricFiltersFacts> {
    let facts = this.facts.get(path);
    if (!facts) {
      facts = JSON.parse(readFileSync(path, 'utf8')) as FactsFile<CloudWatchMetricFiltersFacts>;
      this.facts.set(path, facts);
    }
    return facts;
  }

  private async answerLearner(account: SimulatedAccount, call: Parameters<Respond>[0]): Promise<object> {
    const action = `${call.clientName.replace(/Client$/, '')}:${call.commandName}`;
    this.counts.learnerCalls += 1;
    const at = performance.now();
    if (this.record) this.calls.push({ accountId: account.accountId, action, region: call.region, input: call.input, at });
    await sleep(account.latencyMs ?? this.defaults.latencyMs ?? 0);
    if (account.disabledRegions?.includes(call.region)) throw awsError('UnrecognizedClientException', 'The security token included in the request is invalid.', 400);
    const n = (this.seen.get(account.accountId) ?? 0) + 1;
    this.seen.set(account.accountId, n);
    const throttle = () => {
      this.counts.throttled += 1;
      return awsError('ThrottlingException', 'Rate exceeded');
    };
    if (account.throttleFirst !== undefined && n <= account.throttleFirst) throw throttle();
    const rate = account.awsRatePerSecond;
    if (rate !== undefined) {
      const bucket = this.buckets.get(account.accountId) ?? { tokens: rate, at };
      bucket.tokens = Math.min(rate, bucket.tokens + ((at - bucket.at) * rate) / 1000);
      bucket.at = at;
      this.buckets.set(account.accountId, bucket);
      if (bucket.tokens < 1) throw throttle();
      bucket.tokens -= 1;
    }
    if (this.defaults.throttleProbability && (this.defaults.random ?? Math.random)() < this.defaults.throttleProbability) throw throttle();
    return answerFromFacts(account.facts === undefined ? undefined : this.factsOf(account.facts), call.commandName, call.input);
  }
}

/** The cloudwatch-metric-filters lab's API answers for the account a facts file describes. */
function answerFromFacts(file: FactsFile<CloudWatchMetricFiltersFacts> | undefined, operation: string, input: Record<string, unknown>): object {
  if (operation === 'DescribeStacks') {
    if (!file) throw awsError('ValidationError', `Stack with id ${String(input.StackName)} does not exist`);
    return {
      Stacks: [
        {
          StackName: file.stack.name,
          StackStatus: file.stack.status,
          CreationTime: new Date('2026-11-23T10:00:00.000Z'),
          Outputs: Object.entries(file.stack.outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
        },
      ],
    };
  }
  if (!file) throw new Error(`simulated account: ${operation} before the stack was read`);
  const f = file.facts;
  const value = <T>(fact: { ok: true; value: T } | { ok: false; error: { code: string; message: string } }): T => {
    if (fact.ok) return fact.value;
    throw awsError(fact.error.code === 'ACCESS_DENIED' ? 'AccessDeniedException' : 'ServiceUnavailable', fact.error.message);
  };
  switch (operation) {
    case 'DescribeMetricFilters':
      return { metricFilters: value(f.metricFilters) };
    case 'TestMetricFilter': {
      const test = f.filterTests.find((t) => t.filterPattern === input.filterPattern);
      return { matches: test ? value(test.result).matches : [] };
    }
    case 'DescribeLogGroups': {
      const group = value(f.logGroup);
      return { logGroups: group ? [group] : [] };
    }
    case 'DescribeAlarms':
      return value(f.alarms);
    default:
      throw new Error(`simulated account: no answer for ${operation}`);
  }
}
