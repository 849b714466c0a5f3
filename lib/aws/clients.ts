import { DoplabError } from '../errors';
import { mapAwsError } from './errors';

/** How doplab reaches AWS; every field may come from a CLI option. */
export interface AwsOptions {
  /** Named profile from the shared config files. @default the SDK's default chain */
  readonly profile?: string;
  /** @default the SDK's resolution (AWS_REGION, then the profile) */
  readonly region?: string;
  /** Endpoint for every service, e.g. a local AWS emulator. @default AWS_ENDPOINT_URL, else AWS */
  readonly endpointUrl?: string;
  /** Credentials to use instead of the default chain (grading: assumed-role credentials). */
  readonly credentials?: unknown;
  /** Attempts per call, throttling included (adaptive retry). @default 6 */
  readonly maxAttempts?: number;
  /** Per-call timeout in milliseconds. @default 15000 */
  readonly requestTimeoutMs?: number;
  /** Waited on before every request sent, retries included (grading: one bucket per learner account). */
  readonly rateLimit?: { take(): Promise<void> };
}

/** The SDK client surface doplab relies on. */
interface SdkClient {
  readonly middlewareStack: { add(middleware: unknown, options: { step: string; name: string; priority?: string }): void };
  destroy(): void;
}

/** IAM service prefixes whose SDK client name does not give it. */
const IAM_PREFIX: Readonly<Record<string, string>> = {
  CloudWatchLogs: 'logs',
  ElasticLoadBalancingV2: 'elasticloadbalancing',
  ConfigService: 'config',
  EventBridge: 'events',
  CloudWatchEvents: 'events',
  SFN: 'states',
  ApplicationAutoScaling: 'application-autoscaling',
  AccessAnalyzer: 'access-analyzer',
  CostExplorer: 'ce',
  ResourceGroupsTaggingAPI: 'tag',
  CodeStarconnections: 'codestar-connections',
};

/** The IAM action of an SDK call, from the client and command names: `logs:DescribeMetricFilters`. */
export function iamAction(clientName: string, commandName: string): string {
  const service = clientName.replace(/Client$/, '');
  const prefix = IAM_PREFIX[service] ?? service.toLowerCase();
  return `${prefix}:${commandName.replace(/Command$/, '')}`;
}

/** Verbs of API calls that only read. Checkers may call nothing else. */
export const READ_ONLY_VERBS = ['Describe', 'Get', 'List', 'Test', 'Simulate', 'BatchGet', 'Lookup', 'Filter'] as const;

/** Whole operations that only read though no verb above says so: DynamoDB's item reads (a restore drill counts items). */
export const READ_ONLY_OPERATIONS = ['dynamodb:Scan', 'dynamodb:Query'] as const;

export function isReadOnlyAction(action: string): boolean {
  const operation = action.split(':')[1] ?? '';
  return READ_ONLY_VERBS.some((verb) => operation.startsWith(verb)) || (READ_ONLY_OPERATIONS as readonly string[]).includes(action);
}

/** Observes every call a client makes, e.g. to count API calls or prove a checker's declared actions. */
export type CallListener = (action: string) => void;

type ClientCtor<C> = new (config: never) => C;

/**
 * The one place doplab builds SDK clients: profile, region, endpoint, adaptive retries, per-call
 * timeout, and AWS errors mapped to DoplabErrors that name the IAM action.
 */
export class AwsSession {
  private readonly clients = new Map<string, SdkClient>();
  /** Clients built for one listener each (not shared); closed by `destroy` too. */
  private readonly unshared: SdkClient[] = [];

  constructor(
    readonly options: AwsOptions = {},
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  /** The endpoint override in force, if any. */
  get endpointUrl(): string | undefined {
    return this.options.endpointUrl ?? (this.env.AWS_ENDPOINT_URL || undefined);
  }

  /** The region in force: --region, else AWS_REGION / AWS_DEFAULT_REGION; undefined lets the SDK read the profile. */
  get configuredRegion(): string | undefined {
    return this.options.region ?? (this.env.AWS_REGION || this.env.AWS_DEFAULT_REGION || undefined);
  }

  /** A client for `region` (default: the session's), shared per class and region. */
  client<C extends object>(ctor: ClientCtor<C>, region?: string): C {
    return this.build(ctor, region, { readOnly: false });
  }

  /**
   * A client that refuses every command that is not a read before it is sent, and reports each call
   * to `listener`. Checkers only ever get these.
   */
  readOnlyClient<C extends object>(ctor: ClientCtor<C>, region?: string, listener?: CallListener): C {
    return this.build(ctor, region, { readOnly: true, listener }, !listener);
  }

  /** Closes every client's sockets. */
  destroy(): void {
    for (const client of [...this.clients.values(), ...this.unshared]) client.destroy();
    this.clients.clear();
    this.unshared.length = 0;
  }

  private build<C extends object>(
    ctor: ClientCtor<C>,
    region: string | undefined,
    guard: { readOnly: boolean; listener?: CallListener },
    cache = true,
  ): C {
    const resolvedRegion = region ?? this.configuredRegion;
    const key = `${ctor.name}|${resolvedRegion ?? ''}|${guard.readOnly ? 'ro' : 'rw'}`;
    const cached = cache ? this.clients.get(key) : undefined;
    if (cached) return cached as unknown as C;

    const config = {
      region: resolvedRegion,
      profile: this.options.profile,
      endpoint: this.endpointUrl,
      // S3 puts the bucket in the host name (bucket.localhost) unless the endpoint is an IP address; a local
      // emulator at http://localhost:4566 answers only path-style requests (/bucket/key). Other clients ignore it.
      forcePathStyle: this.endpointUrl ? true : undefined,
      credentials: this.options.credentials,
      retryMode: 'adaptive',
      maxAttempts: this.options.maxAttempts ?? 6,
      // Without throwOnRequestTimeout the SDK only logs a warning when requestTimeout passes.
      requestHandler: {
        connectionTimeout: 5_000,
        requestTimeout: this.options.requestTimeoutMs ?? 15_000,
        throwOnRequestTimeout: true,
      },
    };
    for (const k of Object.keys(config) as (keyof typeof config)[]) if (config[k] === undefined) delete config[k];
    const client = new ctor(config as never) as unknown as SdkClient;
    client.middlewareStack.add(guardMiddleware(guard, resolvedRegion), { step: 'initialize', name: 'doplabGuard', priority: 'high' });
    const limit = this.options.rateLimit;
    // Below the SDK's retry middleware (finalizeRequest, high): every attempt sent waits for a token.
    if (limit) client.middlewareStack.add(rateLimitMiddleware(limit), { step: 'finalizeRequest', name: 'doplabRateLimit', priority: 'low' });
    if (cache) this.clients.set(key, client);
    else this.unshared.push(client);
    return client as unknown as C;
  }
}

interface HandlerContext {
  clientName?: string;
  commandName?: string;
}

function rateLimitMiddleware(limit: { take(): Promise<void> }) {
  return (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
    await limit.take();
    return next(args);
  };
}

function guardMiddleware(guard: { readOnly: boolean; listener?: CallListener }, region: string | undefined) {
  return (next: (args: unknown) => Promise<unknown>, context: HandlerContext) => async (args: unknown) => {
    const action = iamAction(context.clientName ?? 'UnknownClient', context.commandName ?? 'UnknownCommand');
    if (guard.readOnly && !isReadOnlyAction(action)) {
      throw new DoplabError('INTERNAL', 'harness', `Refused ${action}: checkers may only read (${[...READ_ONLY_VERBS, ...READ_ONLY_OPERATIONS].join('/')}).`);
    }
    guard.listener?.(action);
    try {
      return await next(args);
    } catch (error) {
      throw mapAwsError(error, { action, region: region ?? 'the default region' });
    }
  };
}
