// A local AWS endpoint that replays a lab's recorded SDK exchanges, over the wire protocols the SDK v3
// clients really speak, so `doplab check <lab> --endpoint-url` runs its whole stack (signing,
// serialisation, retries, error parsing) offline against the lab's example world.
//
// Recording: the lab's gather runs against its test world (test/fixtures/<id>/gather-world.ts, the same
// aws-sdk-client-mock answers that record facts/solved.json) in a MockedSession, whose clients run their
// real middleware down to the HTTP request. A middleware of ours sees each serialized request (method,
// path, query, X-Amz-Target, body) and the output or error the mock answered.
// Replaying: each request is matched to a recorded one (same operation; then the most equal parameters and
// region: the client's region recorded, the request's read from its SigV4 credential scope, as one URL serves all),
// and answered with the recorded output serialized by the SDK's own shape serializers (@aws-sdk/core
// protocols) from the operation's output schema: JSON for awsJson1_0/1_1 and restJson (epoch-second
// timestamps), XML for awsQuery (`<XResponse><XResult>`) and ec2Query (`<XResponse>`), ISO timestamps.
// restXml (S3): the output's members go where their traits bind them: httpHeader and httpPrefixHeaders to
// headers (ToStringShapeSerializer: http-date timestamps), the httpPayload member as the body (a streamed
// blob's recorded bytes as they are), the other members as the XML document; errors as S3's <Error>.
// S3 requests are matched by bucket and key whether the SDK addressed the bucket in the path (an IP
// endpoint such as http://127.0.0.1:PORT, and dotted bucket names) or in the host (AWS, `localhost`).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { JsonShapeSerializer, XmlShapeSerializer, type XmlSettings } from '@aws-sdk/core/protocols';
import { ToStringShapeSerializer } from '@smithy/core/protocols';
import { NormalizedSchema } from '@smithy/core/schema';
import { sdkStreamMixin } from '@smithy/core/serde';
import type { FactsFile } from '../../lib/facts-file';
import { MockedSession } from './mocked-session';

/** The SDK protocol of a client, as its config names it. */
export type Protocol = 'AwsJson1_0Protocol' | 'AwsJson1_1Protocol' | 'AwsRestJsonProtocol' | 'AwsQueryProtocol' | 'AwsEc2QueryProtocol' | 'S3RestXmlProtocol';

/** One SDK exchange of a recorded gather. */
export interface RecordedExchange {
  readonly clientName: string;
  readonly commandName: string;
  /** The client's region (config.region): one endpoint URL serves every region, told apart by the request's SigV4 scope. */
  readonly region: string;
  readonly protocol: Protocol;
  /** The SDK package of the client, e.g. `@aws-sdk/client-ec2`. */
  readonly sdk: string;
  readonly input: Record<string, unknown>;
  /** The request as sent; `path` path-style (`/bucket/key` for S3, wherever the SDK put the bucket). */
  readonly request: { readonly method: string; readonly path: string; readonly query: string; readonly target?: string; readonly body: string };
  /** The output as the mock answered it; a streamed payload member holds its bytes (a Uint8Array). */
  readonly output?: Record<string, unknown>;
  readonly error?: { readonly name: string; readonly message: string; readonly status: number };
}

export interface Recording {
  readonly lab: string;
  readonly region: string;
  readonly exchanges: RecordedExchange[];
  /** The facts the recorded gather produced (equal to the lab's facts/solved.json when the world is current). */
  readonly file: FactsFile;
}

interface Middlewared {
  middlewareStack: { add(middleware: unknown, options: object): void };
  config: { region?: () => Promise<string>; protocol?: { constructor: { name: string }; options?: { xmlNamespace?: string; defaultNamespace?: string }; codec?: { settings?: XmlSettings } } };
}

/** The labs whose test world this module can record: test/fixtures/<id>/gather-world.ts with `gatherWorld`, `SDK_MODULES` and `FACTS_FILES`. */
export const REPLAYABLE_LABS = [
  'artifact-repositories',
  'backup-dr',
  'broken-pipeline',
  'codedeploy-blue-green',
  'config-remediation',
  'eventbridge-incidents',
  'lambda-canary',
  'permission-boundaries',
  'pipeline-test-stage',
  'scaling-self-healing',
  'security-monitoring',
  'ssm-fleet-compliance',
  'stacksets-multi-region',
] as const;

const SDK_OF_CLIENT = new Map<string, string>();

/** Runs `lab`'s gather against its solved test world and records every SDK exchange. */
export async function recordSolvedGather(lab: string): Promise<Recording> {
  const world = (await import(`../fixtures/${lab}/gather-world`)) as {
    gatherWorld: (world: unknown, ...rest: unknown[]) => Promise<FactsFile | { file: FactsFile; stubs: { restore(): void } | Record<string, { restore(): void }> }>;
    FACTS_FILES: Record<string, { world: () => unknown; fault?: unknown }>;
    SDK_MODULES: readonly Record<string, unknown>[];
  };
  const solved = world.FACTS_FILES.solved;
  const exchanges: RecordedExchange[] = [];
  const proto = MockedSession.prototype as unknown as Record<'readOnlyClient' | 'client', (...args: unknown[]) => object>;
  const originals = { readOnlyClient: proto.readOnlyClient, client: proto.client };
  const seen = new WeakSet<object>();
  const watch = (client: object): object => {
    if (seen.has(client)) return client;
    seen.add(client);
    const c = client as Middlewared;
    const protocol = c.config.protocol?.constructor.name as Protocol;
    c.middlewareStack.add(
      (next: (args: unknown) => Promise<{ output: Record<string, unknown> }>, context: { clientName: string; commandName: string }) =>
        async (args: { input: Record<string, unknown>; request: { method: string; hostname: string; path: string; query?: Record<string, string | string[]>; headers: Record<string, string>; body?: unknown } }) => {
          const { request } = args;
          const base = {
            clientName: context.clientName,
            commandName: context.commandName,
            region: (await c.config.region?.()) ?? '',
            protocol,
            sdk: sdkOf(context.clientName, world.SDK_MODULES),
            input: args.input,
            request: { method: request.method, path: pathStyle(request.hostname, request.path), query: queryString(request.query), target: request.headers['x-amz-target'], body: bodyText(request.body) },
          };
          try {
            const result = await next(args);
            const { $metadata: _, ...output } = result.output;
            // A streamed payload can be read once: read it here, record its bytes, hand the gather a fresh SDK stream of them.
            const streamed = streamingPayloadMember(base.sdk, context.commandName);
            const stream = streamed ? (output[streamed] as { transformToByteArray?: () => Promise<Uint8Array> } | undefined) : undefined;
            if (streamed && typeof stream?.transformToByteArray === 'function') {
              const bytes = await stream.transformToByteArray();
              output[streamed] = bytes;
              result.output[streamed] = sdkStreamMixin(Readable.from(Buffer.from(bytes)));
            }
            exchanges.push({ ...base, output });
            return result;
          } catch (error) {
            const e = error as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
            exchanges.push({ ...base, error: { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode ?? 400 } });
            throw error;
          }
        },
      { step: 'finalizeRequest', priority: 'high', name: 'recordForReplay' },
    );
    return client;
  };
  proto.readOnlyClient = function (this: unknown, ...args: unknown[]) {
    return watch(originals.readOnlyClient.apply(this, args));
  };
  proto.client = function (this: unknown, ...args: unknown[]) {
    return watch(originals.client.apply(this, args));
  };
  try {
    const gathered = await world.gatherWorld(solved.world(), solved.fault);
    const file = 'facts' in gathered ? gathered : gathered.file;
    if (!('facts' in gathered)) {
      const stubs = gathered.stubs;
      for (const stub of typeof (stubs as { restore?: unknown }).restore === 'function' ? [stubs as { restore(): void }] : Object.values(stubs as Record<string, { restore(): void }>)) stub.restore();
    }
    return { lab, region: file.region, exchanges, file };
  } finally {
    Object.assign(proto, originals);
  }
}

function sdkOf(clientName: string, modules: readonly Record<string, unknown>[]): string {
  const known = SDK_OF_CLIENT.get(clientName);
  if (known) return known;
  for (const name of Object.keys(require.cache)) {
    const match = /node_modules\/(@aws-sdk\/client-[\w-]+)\/dist-cjs\/index\.js$/.exec(name);
    if (match && require.cache[name]?.exports?.[clientName] && modules.some((m) => m[clientName] === require.cache[name]?.exports?.[clientName])) {
      SDK_OF_CLIENT.set(clientName, match[1]);
      return match[1];
    }
  }
  throw new Error(`replay recorder: no SDK package found for ${clientName}`);
}

/** The name of the operation output's streamed httpPayload member (S3 GetObject's Body), if it has one. */
function streamingPayloadMember(sdk: string, commandName: string): string | undefined {
  const schema = outputSchema(require(sdk) as Record<string, unknown>, commandName.replace(/Command$/, ''));
  if (!schema) return undefined;
  for (const [name, member] of NormalizedSchema.of(schema as never).structIterator()) if (member.getMergedTraits().httpPayload && member.isStreaming()) return name;
  return undefined;
}

function outputSchema(sdk: Record<string, unknown>, op: string): unknown {
  return sdk[`${op}Output$`] ?? (sdk[`${op}$`] as unknown[] | undefined)?.[5];
}

/**
 * A request path, path-style: a bucket the SDK put in the host (`bucket.s3.eu-west-1.amazonaws.com`, or
 * `bucket.localhost` on an endpoint URL naming localhost) moves to the path's head, as an IP endpoint
 * (`127.0.0.1`) and dotted bucket names have it. Other services' hosts never start with a bucket label.
 */
export function pathStyle(host: string, path: string): string {
  const bucket = /^([a-z0-9][a-z0-9-]{1,61}[a-z0-9])\.(?:s3[.-]|localhost(?::\d+)?$)/.exec(host)?.[1];
  return bucket ? `/${bucket}${path}` : path;
}

function bodyText(body: unknown): string {
  if (typeof body === 'string') return body;
  // Decoded as bytes: the SDK's JSON body (a Uint8Array that also answers string methods) warns if read as a string.
  if (body instanceof Uint8Array) return new TextDecoder().decode(body);
  if (body === undefined || body === null) return '';
  throw new Error(`replay recorder: a request body it cannot read (${typeof body})`);
}

function queryString(query: Record<string, string | string[]> | undefined): string {
  if (!query) return '';
  return Object.keys(query)
    .sort()
    .flatMap((k) => ([] as string[]).concat(query[k]).map((v) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`))
    .join('&');
}

// ---------------------------------------------------------------------------------------------
// Serialising a recorded output or error as the service would send it
// ---------------------------------------------------------------------------------------------

interface WireAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  /** Text, or the bytes of a blob payload. */
  readonly body: string | Uint8Array;
}

const REQUEST_ID = 'c6104cbe-af31-11e0-8154-cbc7ccf896c7';

/** The XML namespace and service namespace a client's protocol declares, and its codec's settings. */
const NAMESPACES = new Map<string, { xmlNamespace: string; serviceNamespace: string; settings?: XmlSettings }>();

function namespaces(exchange: RecordedExchange): { xmlNamespace: string; serviceNamespace: string; settings?: XmlSettings } {
  let ns = NAMESPACES.get(exchange.sdk);
  if (ns === undefined) {
    const sdk = require(exchange.sdk) as Record<string, new (config: object) => Middlewared & { destroy(): void }>;
    const client = new sdk[exchange.clientName]({ region: 'us-east-1' });
    const options = client.config.protocol?.options;
    ns = { xmlNamespace: options?.xmlNamespace ?? '', serviceNamespace: options?.defaultNamespace ?? '', settings: client.config.protocol?.codec?.settings };
    client.destroy();
    NAMESPACES.set(exchange.sdk, ns);
  }
  return ns;
}

function xmlNamespace(exchange: RecordedExchange): string {
  return namespaces(exchange).xmlNamespace;
}

/** The HTTP response AWS would send for `exchange`'s recorded output or error. */
export function wireAnswer(exchange: RecordedExchange): WireAnswer {
  const sdk = require(exchange.sdk) as Record<string, unknown>;
  const op = exchange.commandName.replace(/Command$/, '');
  const json = exchange.protocol.startsWith('AwsJson') || exchange.protocol === 'AwsRestJsonProtocol';
  const headers: Record<string, string> = { 'x-amzn-requestid': REQUEST_ID, 'x-amz-request-id': REQUEST_ID };
  if (exchange.error) {
    const { name, message, status } = exchange.error;
    if (json) return { status, headers: { ...headers, 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': name }, body: JSON.stringify({ __type: name, message }) };
    if (exchange.protocol === 'S3RestXmlProtocol') {
      const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${name}</Code><Message>${escapeXml(message)}</Message><RequestId>${REQUEST_ID}</RequestId></Error>`;
      return { status, headers: { ...headers, 'content-type': 'application/xml' }, body };
    }
    const ns = xmlNamespace(exchange);
    const body =
      exchange.protocol === 'AwsEc2QueryProtocol'
        ? `<Response><Errors><Error><Code>${name}</Code><Message>${escapeXml(message)}</Message></Error></Errors><RequestID>${REQUEST_ID}</RequestID></Response>`
        : `<ErrorResponse xmlns="${ns}"><Error><Type>Sender</Type><Code>${name}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${REQUEST_ID}</RequestId></ErrorResponse>`;
    return { status, headers: { ...headers, 'content-type': 'text/xml' }, body };
  }
  const schema = outputSchema(sdk, op);
  if (!schema) throw new Error(`replay: no output schema ${op}Output$ in ${exchange.sdk}`);
  const output = exchange.output ?? {};
  if (exchange.protocol === 'S3RestXmlProtocol') return restXmlAnswer(exchange, sdk, op, schema, output, headers);
  if (json) {
    const serializer = new JsonShapeSerializer({ timestampFormat: { useTrait: true, default: 7 }, jsonName: exchange.protocol === 'AwsRestJsonProtocol' });
    serializer.write(schema as never, output);
    return { status: 200, headers: { ...headers, 'content-type': 'application/json' }, body: String(serializer.flush()) };
  }
  if (exchange.protocol === 'AwsQueryProtocol' || exchange.protocol === 'AwsEc2QueryProtocol') {
    const { xmlNamespace: ns, serviceNamespace } = namespaces(exchange);
    const serializer = new XmlShapeSerializer({ timestampFormat: { useTrait: true, default: 5 }, xmlNamespace: ns, serviceNamespace });
    serializer.write(schema as never, output);
    const xml = String(serializer.flush());
    // The serializer writes the output structure as an element of its own name: keep its children.
    const content = /^<[^>]*\/>$/.test(xml) ? '' : xml.replace(/^<[^>]*>/, '').replace(/<\/[^>]+>$/, '');
    const body =
      exchange.protocol === 'AwsEc2QueryProtocol'
        ? `<${op}Response xmlns="${ns}"><requestId>${REQUEST_ID}</requestId>${content}</${op}Response>`
        : `<${op}Response xmlns="${ns}"><${op}Result>${content}</${op}Result><ResponseMetadata><RequestId>${REQUEST_ID}</RequestId></ResponseMetadata></${op}Response>`;
    return { status: 200, headers: { ...headers, 'content-type': 'text/xml' }, body };
  }
  throw new Error(`replay: the ${exchange.protocol} protocol (${exchange.clientName}) is not served`);
}

/** restXml: each output member where its traits bind it (header, prefixed headers, payload, status code, XML body). */
function restXmlAnswer(exchange: RecordedExchange, sdk: Record<string, unknown>, op: string, schema: unknown, output: Record<string, unknown>, base: Record<string, string>): WireAnswer {
  const { settings } = namespaces(exchange);
  if (!settings) throw new Error(`replay: ${exchange.clientName}'s protocol has no codec settings`);
  const operation = (sdk[`${op}$`] as unknown[] | undefined)?.[3] as { http?: [string, string, number] } | undefined;
  let status = operation?.http?.[2] ?? 200;
  const headers: Record<string, string> = { ...base, 'x-amz-id-2': REQUEST_ID };
  const bodyMembers: Record<string, unknown> = {};
  let payload: string | Uint8Array | undefined;
  const header = (member: NormalizedSchema, value: unknown): string => {
    const serializer = new ToStringShapeSerializer(settings);
    serializer.write(member as never, value);
    return serializer.flush();
  };
  for (const [name, member] of NormalizedSchema.of(schema as never).structIterator()) {
    const value = output[name];
    if (value === undefined || value === null) continue;
    const traits = member.getMergedTraits();
    if (typeof traits.httpHeader === 'string') headers[traits.httpHeader.toLowerCase()] = header(member, value);
    else if (typeof traits.httpPrefixHeaders === 'string') {
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) headers[`${traits.httpPrefixHeaders}${key}`.toLowerCase()] = String(item);
    } else if (traits.httpResponseCode) status = Number(value);
    else if (traits.httpPayload) {
      if (value instanceof Uint8Array || typeof value === 'string') payload = value;
      else {
        const serializer = new XmlShapeSerializer(settings);
        serializer.write(member as never, value);
        payload = String(serializer.flush());
        headers['content-type'] ??= 'application/xml';
      }
    } else bodyMembers[name] = value;
  }
  if (payload === undefined && Object.keys(bodyMembers).length > 0) {
    const serializer = new XmlShapeSerializer(settings);
    serializer.write(schema as never, bodyMembers);
    payload = `<?xml version="1.0" encoding="UTF-8"?>\n${String(serializer.flush())}`;
    headers['content-type'] ??= 'application/xml';
  }
  return { status, headers, body: payload ?? '' };
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

// ---------------------------------------------------------------------------------------------
// The endpoint
// ---------------------------------------------------------------------------------------------

/** One request as the replay endpoint received and answered it (the bench counts round trips from these). */
export interface ReplayedRequest {
  readonly operation: string;
  /** The recorded exchange answered, or undefined when none matched (answered with an error). */
  readonly exchange?: RecordedExchange;
  readonly receivedAt: number;
  readonly answeredAt: number;
}

/** The operation a request names: X-Amz-Target's suffix, the Action parameter, or method and path. */
function operationKey(method: string, path: string, target: string | undefined, body: string): string {
  if (target) return target;
  const action = new URLSearchParams(body).get('Action');
  if (action) return `Action=${action}`;
  return `${method} ${path.split('?')[0]}`;
}

/** The region of a SigV4 credential scope (`Credential=AKID/20261127/<region>/<service>/aws4_request`). */
function regionOfAuthorization(authorization: string | undefined): string | undefined {
  return /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(authorization ?? '')?.[1];
}

/** The parameters of a request as `name=value` tokens: form fields, or the JSON body's leaves, or the query string; and its region. */
function tokens(path: string, query: string, body: string, region: string | undefined): Set<string> {
  const out = new Set<string>();
  const add = (prefix: string, value: unknown): void => {
    if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) add(`${prefix}.${k}`, v);
    else if (typeof value === 'string' && /^[[{]/.test(value) && parses(value)) add(prefix, JSON.parse(value));
    else out.add(`${prefix}=${String(value)}`);
  };
  try {
    if (body.trim().startsWith('{')) add('', JSON.parse(body));
    else for (const [k, v] of new URLSearchParams(body)) add(k, v);
  } catch {
    out.add(body);
  }
  for (const [k, v] of new URLSearchParams(query)) out.add(`?${k}=${v}`);
  out.add(`path=${decodeURIComponent(path)}`);
  if (region) out.add(`region=${region}`);
  return out;
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

export class ReplayAws {
  private constructor(
    private readonly server: Server,
    readonly url: string,
    /** The requests received, in the order they were answered. */
    readonly requests: ReplayedRequest[],
  ) {}

  static async start(recording: Recording, options: { latencyMs?: number } = {}): Promise<ReplayAws> {
    const byOperation = new Map<string, { exchange: RecordedExchange; tokens: Set<string>; answer: WireAnswer }[]>();
    for (const exchange of recording.exchanges) {
      const { method, path, query, target, body } = exchange.request;
      const key = operationKey(method, path, target, body);
      const list = byOperation.get(key) ?? [];
      list.push({ exchange, tokens: tokens(path, query, body, exchange.region), answer: wireAnswer(exchange) });
      byOperation.set(key, list);
    }
    const requests: ReplayedRequest[] = [];
    const server = createServer((req, res) => {
      const receivedAt = performance.now();
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const [rawPath, query = ''] = (req.url ?? '/').split('?');
        const path = pathStyle(req.headers.host ?? '', rawPath);
        const target = req.headers['x-amz-target'] as string | undefined;
        const key = operationKey(req.method ?? 'GET', path, target, body);
        const candidates = byOperation.get(key) ?? [];
        const mine = tokens(path, query, body, regionOfAuthorization(req.headers.authorization));
        let best: (typeof candidates)[number] | undefined;
        let bestScore = -1;
        for (const candidate of candidates) {
          let score = 0;
          for (const t of candidate.tokens) if (mine.has(t)) score++;
          if (score > bestScore) [best, bestScore] = [candidate, score];
        }
        const answer: WireAnswer = best?.answer ?? {
          status: 400,
          headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'NotRecorded' },
          body: JSON.stringify({ __type: 'NotRecorded', message: `replay endpoint: no recorded exchange for ${key}` }),
        };
        const send = () => {
          res.writeHead(answer.status, { 'content-length': String(Buffer.byteLength(answer.body)), ...answer.headers });
          res.end(answer.body);
          requests.push({ operation: best?.exchange.commandName.replace(/Command$/, '') ?? key, exchange: best?.exchange, receivedAt, answeredAt: performance.now() });
        };
        if (options.latencyMs) setTimeout(send, options.latencyMs);
        else send();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return new ReplayAws(server, `http://127.0.0.1:${port}`, requests);
  }

  reset(): void {
    this.requests.length = 0;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}

// `npx tsx test/support/replay-aws.ts <lab>`: serves the lab's solved test world until stopped.
if (require.main === module) {
  const lab = process.argv[2];
  if (!lab || !(REPLAYABLE_LABS as readonly string[]).includes(lab)) {
    process.stderr.write(`usage: npx tsx test/support/replay-aws.ts <lab>, one of: ${REPLAYABLE_LABS.join(', ')}\n`);
    process.exitCode = 2;
  } else {
    void recordSolvedGather(lab).then(async (recording) => {
      const replay = await ReplayAws.start(recording);
      process.stdout.write(`${lab}'s solved world (${recording.exchanges.length} recorded exchanges, region ${recording.region}) at ${replay.url}\n`);
    });
  }
}
