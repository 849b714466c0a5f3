import { StandardRetryStrategy } from '@smithy/util-retry';
import { AwsSession, type AwsOptions, type CallListener } from '../../lib/aws/clients';

/** An SDK client package (`import * as logsSdk from '@aws-sdk/client-cloudwatch-logs'`): its client and command classes. */
export type SdkModule = Readonly<Record<string, unknown>>;

interface RoutableClient {
  send: unknown;
  middlewareStack: { add(middleware: unknown, options: object): void };
}

/**
 * An AwsSession whose clients are answered by aws-sdk-client-mock *below* their middleware.
 *
 * aws-sdk-client-mock replaces Client#send, which would skip the client's middleware: doplab's
 * read-only guard, call listener and error mapping, and the SDK's own retries. Clients of this session
 * run their real middleware stack, and only the HTTP exchange at its bottom (below retries and
 * signing) is answered by the mock, so tests see what a real AWS call would do. Create the mocks
 * (`mockClient(CloudWatchLogsClient)`) before asking the session for clients.
 */
export class MockedSession extends AwsSession {
  private readonly routed = new WeakSet<object>();

  /**
   * One attempt per call unless `options.maxAttempts` asks for more: a mocked AWS error is then an error at
   * once, where the product's adaptive retries (tested in test/lib/aws.test.ts and the CLI's endpoint tests)
   * would only add their back-off to every test of a failed read (24 s for one throttled Scan).
   * @param sdkModules the SDK packages whose commands the mocks answer
   */
  constructor(
    options: AwsOptions,
    private readonly sdkModules: readonly SdkModule[],
  ) {
    super({ maxAttempts: 1, ...options }, {});
    this.attempts = options.maxAttempts ?? 1;
  }

  private readonly attempts: number;

  override readOnlyClient<C extends object>(ctor: new (config: never) => C, region?: string, listener?: CallListener): C {
    return this.route(super.readOnlyClient(ctor, region, listener));
  }

  override client<C extends object>(ctor: new (config: never) => C, region?: string): C {
    return this.route(super.client(ctor, region));
  }

  private route<C extends object>(client: C): C {
    if (!this.routed.has(client)) {
      this.routed.add(client);
      answerFromMock(client as unknown as RoutableClient, this.sdkModules);
      // With one attempt, no client-side rate limiting either: adaptive mode's limiter, after a mocked
      // throttle, delays the gather's next calls in real time (seconds per test).
      const config = (client as unknown as { config: { maxAttempts: () => Promise<number>; retryStrategy: () => Promise<unknown> } }).config;
      if (this.attempts === 1) config.retryStrategy = async () => new StandardRetryStrategy(1);
    }
    return client;
  }
}

function answerFromMock(client: RoutableClient, sdkModules: readonly SdkModule[]): void {
  const mocked = Object.getPrototypeOf(client) as { send: (command: unknown) => Promise<object> };
  // The client class's send is the mock; the SDK's real send (smithy's Client#send) is one level up.
  client.send = (Object.getPrototypeOf(mocked) as { send: unknown }).send;
  client.middlewareStack.add(
    (_next: unknown, context: { clientName: string; commandName: string }) => async (args: { input: object }) => {
      const sdk = sdkModules.find((m) => m[context.clientName] !== undefined);
      const Command = sdk?.[context.commandName] as (new (input: object) => object) | undefined;
      if (!Command) throw new Error(`test double: no command ${context.commandName} for ${context.clientName}; pass its SDK module to MockedSession`);
      const output = await mocked.send.call(client, new Command(args.input));
      return { output: { $metadata: { httpStatusCode: 200 }, ...output }, response: { statusCode: 200, headers: {} } };
    },
    { step: 'finalizeRequest', priority: 'low', name: 'answerFromAwsSdkClientMock' },
  );
}

/** An error as the SDK throws it for an AWS error response (`name` is the AWS error code). */
export function awsError(name: string, message: string, httpStatusCode = 400): Error {
  return Object.assign(new Error(message), {
    name,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode, requestId: 'e0c5a1f4-3b7d-4c2e-9f10-6a8b2d4c1e37' },
  });
}
