// A small local AWS endpoint for doplab's check path: answers STS, CloudFormation, CloudWatch Logs and
// CloudWatch from an in-memory state, over the wire protocols the SDK v3 clients really speak, so the
// SDK's whole stack (signing, serialisation, retries, error parsing) runs offline.
//
// Protocols, as the installed clients send them (@aws-sdk/core protocols):
// - STS, CloudFormation: awsQuery. Form-encoded POST `Action=..&Version=..`; XML responses
//   `<XResponse><XResult>..</XResult><ResponseMetadata>..`; lists as `<member>`; timestamps ISO 8601;
//   errors `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>`.
// - CloudWatch Logs: awsJson1_1, `X-Amz-Target: Logs_20140328.<Op>`; errors `{"__type","message"}`.
// - CloudWatch: awsJson1_0, `X-Amz-Target: GraniteServiceVersion20100801.<Op>`, awsQueryCompatible: the
//   SDK sends `x-amzn-query-mode: true` and takes the error code from the `x-amzn-query-error: Code;Type`
//   header; timestamps are epoch seconds (numbers).
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { CloudWatchMetricFiltersFacts } from '../../checkers/cloudwatch-metric-filters';
import type { Fact } from '../../lib/facts';
import type { FactsFile } from '../../lib/facts-file';

/** A JSON object as an AWS JSON protocol carries it. */
export type JsonObject = Record<string, unknown>;

/** A CloudFormation stack the fake knows. */
export interface FakeStack {
  readonly StackName: string;
  readonly StackStatus: string;
  /** Output id → value. */
  readonly Outputs: Readonly<Record<string, string>>;
  /** ISO 8601. @default 2026-11-23T10:00:00.000Z */
  readonly CreationTime?: string;
  readonly Tags?: Readonly<Record<string, string>>;
}

/** What the fake account holds. Field names and shapes are those of the AWS API responses. */
export interface FakeAwsState {
  /** GetCallerIdentity's answer. */
  identity: { Account: string; Arn: string; UserId: string };
  stacks: FakeStack[];
  /** Log groups as DescribeLogGroups returns them (`logGroupName`, `creationTime` in epoch ms, `retentionInDays`...). */
  logGroups: JsonObject[];
  /** Metric filters as DescribeMetricFilters returns them (each with its `logGroupName`). */
  metricFilters: JsonObject[];
  /**
   * TestMetricFilter's canned answers: filter pattern → the log lines it matches. The fake does not
   * implement the pattern language; a pattern missing here is answered with an error naming it.
   */
  patternMatches: Record<string, readonly string[]>;
  /** Metric alarms as DescribeAlarms returns them; `...Timestamp` fields as ISO 8601 strings. */
  metricAlarms: JsonObject[];
  /** Composite alarms as DescribeAlarms returns them; `...Timestamp` fields as ISO 8601 strings. */
  compositeAlarms: JsonObject[];
}

/** Faults and delays the fake injects. Operations are named as in the API: `DescribeAlarms`. */
export interface FakeAwsOptions {
  /** Delay before every response, in milliseconds. @default 0 */
  latencyMs?: number;
  /** Answer the first N calls of an operation with that protocol's throttling error: `{ DescribeAlarms: 2 }`. */
  throttle?: Partial<Record<string, number>>;
  /** Operations answered with that protocol's access-denied error. */
  deny?: readonly string[];
}

/** One request as the fake received and answered it. */
export interface RecordedRequest {
  readonly service: 'sts' | 'cloudformation' | 'logs' | 'cloudwatch' | 'unknown';
  readonly protocol: 'awsQuery' | 'awsJson1_0' | 'awsJson1_1' | 'unknown';
  /** The API operation, e.g. `DescribeAlarms` (the Action parameter or the X-Amz-Target suffix). */
  readonly operation: string;
  /** The IAM action, e.g. `cloudwatch:DescribeAlarms`. */
  readonly action: string;
  /** The X-Amz-Target header (JSON protocols). */
  readonly target?: string;
  /** The request parameters: the parsed JSON body, or the form parameters without Action and Version. */
  readonly params: JsonObject;
  /** The region and service of the SigV4 credential scope. */
  readonly signingRegion?: string;
  readonly signingService?: string;
  /** The SDK's attempt number (amz-sdk-request: attempt=N), 1 for a first try. */
  readonly attempt?: number;
  /** The x-amzn-query-mode header (sent by clients of awsQueryCompatible JSON services). */
  readonly queryMode: boolean;
  readonly status: number;
  /** The AWS error code answered, if any. */
  readonly errorCode?: string;
  /** performance.now() when the request arrived and when its response was sent. */
  readonly receivedAt: number;
  readonly answeredAt: number;
}

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly errorCode?: string;
}

/** An AWS error to answer with; the protocol decides its shape. */
class AwsFault {
  constructor(
    readonly code: string,
    readonly message: string,
    readonly status = 400,
    /** The `__type` of JSON protocols when it differs from `code` (CloudWatch's namespaced types). */
    readonly jsonType?: string,
  ) {}
}

const XMLNS = {
  sts: 'https://sts.amazonaws.com/doc/2011-06-15/',
  cloudformation: 'http://cloudformation.amazonaws.com/doc/2010-05-15/',
} as const;
const QUERY_SERVICES: Readonly<Record<string, 'sts' | 'cloudformation'>> = { '2011-06-15': 'sts', '2010-05-15': 'cloudformation' };
const JSON_SERVICES: Readonly<Record<string, { service: 'logs' | 'cloudwatch'; protocol: 'awsJson1_0' | 'awsJson1_1' }>> = {
  Logs_20140328: { service: 'logs', protocol: 'awsJson1_1' },
  GraniteServiceVersion20100801: { service: 'cloudwatch', protocol: 'awsJson1_0' },
};
const IAM_PREFIX: Readonly<Record<RecordedRequest['service'], string>> = {
  sts: 'sts',
  cloudformation: 'cloudformation',
  logs: 'logs',
  cloudwatch: 'cloudwatch',
  unknown: 'unknown',
};

/** A local AWS endpoint on 127.0.0.1 with a random port. Start it with `FakeAws.start`. */
export class FakeAws {
  /** Every request, in the order they were answered (recorded as the response is sent). */
  readonly requests: RecordedRequest[] = [];
  private readonly calls = new Map<string, number>();

  private constructor(
    private readonly server: Server,
    /** `http://127.0.0.1:<port>`: pass as --endpoint-url or AWS_ENDPOINT_URL. */
    readonly url: string,
    /** The account's state; tests may change it between calls. */
    public state: FakeAwsState,
    public options: FakeAwsOptions,
  ) {}

  /** Starts a fake endpoint serving `state`. */
  static async start(state: FakeAwsState, options: FakeAwsOptions = {}): Promise<FakeAws> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = server.address() as AddressInfo;
    const fake = new FakeAws(server, `http://127.0.0.1:${port}`, state, options);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void fake.handle(req, res).catch(() => res.destroy()));
    return fake;
  }

  /** Forgets recorded requests and the per-operation call counts that throttling counts down. */
  reset(options?: FakeAwsOptions): void {
    this.requests.length = 0;
    this.calls.clear();
    if (options) this.options = options;
  }

  /** The operations received, in order (`['GetCallerIdentity', 'DescribeStacks', ...]`). */
  operations(): string[] {
    return this.requests.map((r) => r.operation);
  }

  /** How many requests each operation received, retries included. */
  countByOperation(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const r of this.requests) counts[r.operation] = (counts[r.operation] ?? 0) + 1;
    return counts;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const receivedAt = performance.now();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const header = (name: string) => {
      const value = req.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(header('authorization') ?? '');
    const attempt = /attempt=(\d+)/.exec(header('amz-sdk-request') ?? '');
    const queryMode = header('x-amzn-query-mode') === 'true';
    const target = header('x-amz-target');
    const contentType = header('content-type') ?? '';

    let parsed: { service: RecordedRequest['service']; protocol: RecordedRequest['protocol']; operation: string; params: JsonObject };
    if (target !== undefined) {
      const [prefix, operation = ''] = target.split('.');
      const known = JSON_SERVICES[prefix];
      let params: JsonObject = {};
      try {
        params = body ? (JSON.parse(body) as JsonObject) : {};
      } catch {
        params = { $unparsedBody: body };
      }
      parsed = {
        service: known?.service ?? 'unknown',
        protocol: known?.protocol ?? (contentType.includes('1.0') ? 'awsJson1_0' : 'awsJson1_1'),
        operation,
        params,
      };
    } else if (contentType.startsWith('application/x-www-form-urlencoded')) {
      const form = new URLSearchParams(body);
      const params: JsonObject = {};
      for (const [key, value] of form) if (key !== 'Action' && key !== 'Version') params[key] = value;
      parsed = { service: QUERY_SERVICES[form.get('Version') ?? ''] ?? 'unknown', protocol: 'awsQuery', operation: form.get('Action') ?? '', params };
    } else {
      parsed = { service: 'unknown', protocol: 'unknown', operation: `${req.method} ${req.url}`, params: {} };
    }

    const region = scope?.[1] ?? 'us-east-1';
    let answer: Answer;
    try {
      answer = this.answer(parsed, region, queryMode);
    } catch (error) {
      // A bug in the fake, not an AWS error: say so loudly rather than leave the SDK waiting.
      answer = { status: 500, headers: { 'content-type': 'text/plain' }, body: `fake-aws crashed on ${parsed.operation}: ${(error as Error).stack}` };
    }
    const latency = this.options.latencyMs ?? 0;
    if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
    res.writeHead(answer.status, { 'x-amzn-requestid': randomUUID(), 'content-length': Buffer.byteLength(answer.body), ...answer.headers });
    res.end(answer.body);
    this.requests.push({
      ...parsed,
      action: `${IAM_PREFIX[parsed.service]}:${parsed.operation}`,
      ...(target !== undefined ? { target } : {}),
      ...(scope ? { signingRegion: scope[1], signingService: scope[2] } : {}),
      ...(attempt ? { attempt: Number(attempt[1]) } : {}),
      queryMode,
      status: answer.status,
      ...(answer.errorCode ? { errorCode: answer.errorCode } : {}),
      receivedAt,
      answeredAt: performance.now(),
    });
  }

  private answer(
    request: { service: RecordedRequest['service']; protocol: RecordedRequest['protocol']; operation: string; params: JsonObject },
    region: string,
    queryMode: boolean,
  ): Answer {
    const { service, protocol, operation } = request;
    const seen = (this.calls.get(operation) ?? 0) + 1;
    this.calls.set(operation, seen);
    try {
      if (protocol === 'unknown' || service === 'unknown') {
        throw new AwsFault('UnknownOperationException', `fake-aws: not an AWS request this fake understands: ${operation} (no known X-Amz-Target or Action/Version)`);
      }
      const handler = HANDLERS[service][operation];
      if (!handler) {
        const code = protocol === 'awsQuery' ? 'InvalidAction' : 'UnknownOperationException';
        throw new AwsFault(code, `fake-aws does not implement ${IAM_PREFIX[service]}:${operation}; it answers only ${Object.keys(HANDLERS[service]).join(', ')}.`);
      }
      if (seen <= (this.options.throttle?.[operation] ?? 0)) throw throttling(service);
      if (this.options.deny?.includes(operation)) throw accessDenied(service, operation, region, this.state.identity);
      const result = handler(this.state, request.params, region);
      return protocol === 'awsQuery' ? queryResult(service as keyof typeof XMLNS, operation, result) : jsonResult(protocol, result);
    } catch (error) {
      if (!(error instanceof AwsFault)) throw error;
      if (protocol === 'awsQuery') return queryError(service === 'sts' ? XMLNS.sts : XMLNS.cloudformation, error);
      return jsonError(protocol === 'awsJson1_0' ? '1.0' : '1.1', error, service === 'cloudwatch' && queryMode);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------------

type Handler = (state: FakeAwsState, params: JsonObject, region: string) => unknown;

function paginate<T>(items: readonly T[], token: unknown, limit: number): { page: T[]; next?: string } {
  const start = typeof token === 'string' && token.startsWith('fake-next-') ? Number(token.slice('fake-next-'.length)) : 0;
  const page = items.slice(start, start + limit);
  return { page, ...(start + limit < items.length ? { next: `fake-next-${start + limit}` } : {}) };
}

function limitParam(params: JsonObject, name: string, max: number, fault: (message: string) => AwsFault): number {
  const value = params[name];
  if (value === undefined) return max;
  if (typeof value !== 'number' || value < 1 || value > max) {
    throw fault(`1 validation error detected: Value '${String(value)}' at '${name}' failed to satisfy constraint: Member must have value between 1 and ${max}`);
  }
  return value;
}

const logsInvalid = (message: string) => new AwsFault('InvalidParameterException', message);

const HANDLERS: Readonly<Record<Exclude<RecordedRequest['service'], 'unknown'>, Readonly<Record<string, Handler>>>> = {
  sts: {
    GetCallerIdentity: (state) => state.identity,
  },
  cloudformation: {
    DescribeStacks(state, params, region) {
      const live = state.stacks.filter((s) => s.StackStatus !== 'DELETE_COMPLETE');
      const name = params.StackName as string | undefined;
      const stacks = name === undefined ? live : live.filter((s) => s.StackName === name || stackId(s, region, state) === name);
      if (name !== undefined && stacks.length === 0) throw new AwsFault('ValidationError', `Stack with id ${name} does not exist`);
      return {
        Stacks: stacks.map((s) => ({
          StackId: stackId(s, region, state),
          StackName: s.StackName,
          CreationTime: s.CreationTime ?? '2026-11-23T10:00:00.000Z',
          RollbackConfiguration: {},
          StackStatus: s.StackStatus,
          DisableRollback: false,
          NotificationARNs: [],
          Capabilities: ['CAPABILITY_IAM'],
          Outputs: Object.entries(s.Outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
          Tags: Object.entries(s.Tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
          EnableTerminationProtection: false,
          DriftInformation: { StackDriftStatus: 'NOT_CHECKED' },
        })),
      };
    },
  },
  logs: {
    DescribeLogGroups(state, params) {
      const limit = limitParam(params, 'limit', 50, logsInvalid);
      const prefix = params.logGroupNamePrefix as string | undefined;
      const pattern = params.logGroupNamePattern as string | undefined;
      if (prefix !== undefined && pattern !== undefined) throw logsInvalid('LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.');
      const groups = [...state.logGroups]
        .filter((g) => prefix === undefined || String(g.logGroupName).startsWith(prefix))
        .filter((g) => pattern === undefined || String(g.logGroupName).toLowerCase().includes(pattern.toLowerCase()))
        .sort((a, b) => String(a.logGroupName).localeCompare(String(b.logGroupName)));
      const { page, next } = paginate(groups, params.nextToken, limit);
      return { logGroups: page, ...(next ? { nextToken: next } : {}) };
    },
    DescribeMetricFilters(state, params) {
      const limit = limitParam(params, 'limit', 50, logsInvalid);
      const group = params.logGroupName as string | undefined;
      if (group !== undefined && !state.logGroups.some((g) => g.logGroupName === group)) {
        throw new AwsFault('ResourceNotFoundException', 'The specified log group does not exist.');
      }
      const filters = state.metricFilters
        .filter((f) => group === undefined || f.logGroupName === group)
        .filter((f) => params.filterNamePrefix === undefined || String(f.filterName).startsWith(String(params.filterNamePrefix)))
        .filter((f) =>
          params.metricName === undefined ||
          ((f.metricTransformations ?? []) as JsonObject[]).some((t) => t.metricName === params.metricName && t.metricNamespace === params.metricNamespace),
        )
        .sort((a, b) => String(a.filterName).localeCompare(String(b.filterName)));
      const { page, next } = paginate(filters, params.nextToken, limit);
      return { metricFilters: page, ...(next ? { nextToken: next } : {}) };
    },
    TestMetricFilter(state, params) {
      const pattern = params.filterPattern;
      const lines = params.logEventMessages;
      if (typeof pattern !== 'string') throw logsInvalid("1 validation error detected: Value null at 'filterPattern' failed to satisfy constraint: Member must not be null");
      if (!Array.isArray(lines) || lines.length < 1 || lines.length > 50) {
        throw logsInvalid("1 validation error detected: Value at 'logEventMessages' failed to satisfy constraint: Member must have length between 1 and 50");
      }
      const matching = state.patternMatches[pattern];
      if (!matching) {
        throw logsInvalid(`fake-aws has no canned TestMetricFilter result for filter pattern ${JSON.stringify(pattern)}; add it to state.patternMatches.`);
      }
      const matches = (lines as string[]).flatMap((line, i) => (matching.includes(line) ? [{ eventNumber: i + 1, eventMessage: line, extractedValues: {} }] : []));
      return { matches };
    },
  },
  cloudwatch: {
    DescribeAlarms(state, params) {
      const limit = limitParam(params, 'MaxRecords', 100, (m) => new AwsFault('InvalidParameterValue', m, 400, 'com.amazonaws.cloudwatch#InvalidParameterValueException'));
      // Without AlarmTypes, DescribeAlarms returns metric alarms only.
      const types = (params.AlarmTypes as string[] | undefined) ?? ['MetricAlarm'];
      const names = params.AlarmNames as string[] | undefined;
      const keep = (a: JsonObject) =>
        (names === undefined || names.includes(String(a.AlarmName))) &&
        (params.AlarmNamePrefix === undefined || String(a.AlarmName).startsWith(String(params.AlarmNamePrefix))) &&
        (params.StateValue === undefined || a.StateValue === params.StateValue) &&
        (params.ActionPrefix === undefined || ((a.AlarmActions ?? []) as string[]).some((x) => x.startsWith(String(params.ActionPrefix))));
      const all = [
        ...(types.includes('CompositeAlarm') ? state.compositeAlarms.filter(keep).map((a) => ({ kind: 'composite', a })) : []),
        ...(types.includes('MetricAlarm') ? state.metricAlarms.filter(keep).map((a) => ({ kind: 'metric', a })) : []),
      ].sort((x, y) => String(x.a.AlarmName).localeCompare(String(y.a.AlarmName)));
      const { page, next } = paginate(all, params.NextToken, limit);
      return {
        ...(types.includes('CompositeAlarm') ? { CompositeAlarms: page.filter((p) => p.kind === 'composite').map((p) => epochTimestamps(p.a)) } : {}),
        ...(types.includes('MetricAlarm') ? { MetricAlarms: page.filter((p) => p.kind === 'metric').map((p) => epochTimestamps(p.a)) } : {}),
        ...(next ? { NextToken: next } : {}),
      };
    },
  },
};

/** Whether the fake answers an IAM action (`logs:DescribeMetricFilters`); the bench measures only labs it can serve. */
export function fakeAnswers(action: string): boolean {
  const [prefix, operation = ''] = action.split(':');
  const service = (Object.keys(HANDLERS) as (keyof typeof HANDLERS)[]).find((s) => IAM_PREFIX[s] === prefix);
  return service !== undefined && Object.hasOwn(HANDLERS[service], operation);
}

function stackId(stack: FakeStack, region: string, state: FakeAwsState): string {
  return `arn:aws:cloudformation:${region}:${state.identity.Account}:stack/${stack.StackName}/5f3c8a20-c98e-11f0-9a1b-0a1b2c3d4e5f`;
}

/** JSON protocols carry timestamps as epoch seconds; the state keeps them as ISO strings. */
function epochTimestamps(alarm: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(alarm)) {
    out[key] = key.endsWith('Timestamp') && typeof value === 'string' ? Date.parse(value) / 1000 : value;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Wire formats
// ---------------------------------------------------------------------------------------------

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}

/** awsQuery XML: objects as elements, lists as `<member>` elements, scalars as text. */
function toXml(name: string, value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return `<${name}>${value.map((v) => toXml('member', v)).join('')}</${name}>`;
  if (typeof value === 'object') {
    return `<${name}>${Object.entries(value as JsonObject).map(([k, v]) => toXml(k, v)).join('')}</${name}>`;
  }
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

function queryResult(service: keyof typeof XMLNS, operation: string, result: unknown): Answer {
  const inner = Object.entries(result as JsonObject).map(([k, v]) => toXml(k, v)).join('');
  return {
    status: 200,
    headers: { 'content-type': 'text/xml' },
    body:
      `<${operation}Response xmlns="${XMLNS[service]}">` +
      `<${operation}Result>${inner}</${operation}Result>` +
      `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata>` +
      `</${operation}Response>`,
  };
}

function queryError(xmlns: string, fault: AwsFault): Answer {
  return {
    status: fault.status,
    errorCode: fault.code,
    headers: { 'content-type': 'text/xml' },
    body:
      `<ErrorResponse xmlns="${xmlns}"><Error><Type>Sender</Type><Code>${escapeXml(fault.code)}</Code>` +
      `<Message>${escapeXml(fault.message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  };
}

function jsonResult(protocol: 'awsJson1_0' | 'awsJson1_1', result: unknown): Answer {
  const version = protocol === 'awsJson1_0' ? '1.0' : '1.1';
  return { status: 200, headers: { 'content-type': `application/x-amz-json-${version}` }, body: JSON.stringify(result) };
}

function jsonError(version: '1.0' | '1.1', fault: AwsFault, queryCompatible: boolean): Answer {
  return {
    status: fault.status,
    errorCode: fault.code,
    headers: {
      'content-type': `application/x-amz-json-${version}`,
      ...(queryCompatible ? { 'x-amzn-query-error': `${fault.code};Sender` } : {}),
    },
    body: JSON.stringify({ __type: fault.jsonType ?? fault.code, message: fault.message }),
  };
}

function throttling(service: RecordedRequest['service']): AwsFault {
  if (service === 'logs') return new AwsFault('ThrottlingException', 'Rate exceeded');
  // CloudWatch's JSON error type is namespaced; its query-compatible code (the header) is Throttling.
  if (service === 'cloudwatch') return new AwsFault('Throttling', 'Rate exceeded', 400, 'com.amazon.coral.availability#ThrottlingException');
  return new AwsFault('Throttling', 'Rate exceeded');
}

function accessDenied(service: RecordedRequest['service'], operation: string, region: string, identity: FakeAwsState['identity']): AwsFault {
  const action = `${IAM_PREFIX[service]}:${operation}`;
  const message =
    `User: ${identity.Arn} is not authorized to perform: ${action} on resource: arn:aws:${IAM_PREFIX[service]}:${region}:${identity.Account}:* ` +
    `because no identity-based policy allows the ${action} action`;
  if (service === 'logs') return new AwsFault('AccessDeniedException', message);
  if (service === 'cloudwatch') return new AwsFault('AccessDenied', message, 403, 'com.amazon.coral.service#AccessDeniedException');
  return new AwsFault('AccessDenied', message, 403);
}

// ---------------------------------------------------------------------------------------------
// State from a doplab facts file
// ---------------------------------------------------------------------------------------------

/** The operation that produced each fact of the cloudwatch-metric-filters facts. */
const FACT_OPERATIONS = {
  metricFilters: 'DescribeMetricFilters',
  logGroup: 'DescribeLogGroups',
  alarms: 'DescribeAlarms',
} as const;

/**
 * A fake account in the state a cloudwatch-metric-filters facts file (doplab-facts/1) describes:
 * the caller, the lab stack with its outputs, and what the checker read. A fact that failed with
 * ACCESS_DENIED becomes a denied operation in the returned options.
 */
export function fakeStateFromFacts(file: string | FactsFile<CloudWatchMetricFiltersFacts>): { state: FakeAwsState; options: FakeAwsOptions } {
  const facts: FactsFile<CloudWatchMetricFiltersFacts> = typeof file === 'string' ? JSON.parse(readFileSync(file, 'utf8')) : file;
  const f = facts.facts;
  const deny = new Set<string>();
  const value = <T>(fact: Fact<T>, operation: string): T | undefined => {
    if (fact.ok) return fact.value;
    if (fact.error.code !== 'ACCESS_DENIED') throw new Error(`fake-aws can only replay ACCESS_DENIED facts; ${operation} failed with ${fact.error.code}.`);
    deny.add(operation);
    return undefined;
  };
  const metricFilters = value(f.metricFilters, FACT_OPERATIONS.metricFilters) ?? [];
  const logGroup = value(f.logGroup, FACT_OPERATIONS.logGroup);
  const alarms = value(f.alarms, FACT_OPERATIONS.alarms);
  const patternMatches: Record<string, string[]> = {};
  for (const test of f.filterTests) {
    const result = value(test.result, 'TestMetricFilter');
    if (result) patternMatches[test.filterPattern] = result.matches.map((m) => m.eventMessage ?? '');
  }
  // A denied DescribeLogGroups hides the group from the checker, but DescribeMetricFilters still needs it.
  const groups = logGroup ? [logGroup] : deny.has(FACT_OPERATIONS.logGroup) ? [{ logGroupName: f.logGroupName }] : [];
  return {
    state: {
      identity: { Account: facts.account, Arn: `arn:aws:iam::${facts.account}:user/doplab-learner`, UserId: 'AIDAYDOPLABLEARNER01' },
      stacks: [{ StackName: facts.stack.name, StackStatus: facts.stack.status, Outputs: facts.stack.outputs, Tags: { 'doplab:lab': facts.lab } }],
      logGroups: groups as JsonObject[],
      metricFilters: metricFilters as JsonObject[],
      patternMatches,
      metricAlarms: (alarms?.MetricAlarms ?? []) as JsonObject[],
      compositeAlarms: (alarms?.CompositeAlarms ?? []) as JsonObject[],
    },
    options: deny.size > 0 ? { deny: [...deny] } : {},
  };
}

// `npx tsx test/support/fake-aws.ts <facts.json> [latencyMs]` serves a facts file until interrupted.
if (require.main === module) {
  const [path, latency] = process.argv.slice(2);
  if (!path) {
    process.stderr.write('usage: tsx test/support/fake-aws.ts <facts.json> [latencyMs]\n');
    process.exit(2);
  }
  const { state, options } = fakeStateFromFacts(path);
  void FakeAws.start(state, { ...options, latencyMs: Number(latency ?? 0) }).then((fake) => {
    process.stdout.write(`${fake.url}\n`);
  });
}
