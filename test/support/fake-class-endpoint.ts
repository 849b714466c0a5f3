// A local AWS endpoint for a whole class: answers STS itself (the instructor's GetCallerIdentity and
// AssumeRole into learner accounts, awsQuery XML as STS speaks it) and forwards every other request to
// the learner account's own FakeAws (test/support/fake-aws.ts), chosen by the access key the request
// is signed with. So `doplab grade --endpoint-url` runs end to end over the real wire protocols.
import { randomUUID } from 'node:crypto';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeAws, fakeStateFromFacts } from './fake-aws';

const STS_XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const INSTRUCTOR = '999988887777';

/** One learner account of the class. */
export interface FakeClassAccount {
  readonly accountId: string;
  readonly roleName: string;
  readonly externalId?: string;
  /** The lab's state as a cloudwatch-metric-filters facts file; absent: the lab is not deployed. */
  readonly facts?: string;
  /** Delay of every answer of this account, in ms. */
  readonly latencyMs?: number;
}

/** The class endpoint: `url` for --endpoint-url; `assumed` lists every AssumeRole answered. */
export class FakeClassEndpoint {
  readonly assumed: { roleArn: string; sessionName: string; externalId?: string; ok: boolean }[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly accounts: Map<string, { account: FakeClassAccount; fake: FakeAws }>,
  ) {}

  static async start(accounts: readonly FakeClassAccount[]): Promise<FakeClassEndpoint> {
    const map = new Map<string, { account: FakeClassAccount; fake: FakeAws }>();
    for (const account of accounts) {
      const { state, options } = account.facts
        ? fakeStateFromFacts(account.facts)
        : { state: { identity: { Account: '', Arn: '', UserId: '' }, stacks: [], logGroups: [], metricFilters: [], patternMatches: {}, metricAlarms: [], compositeAlarms: [] }, options: {} };
      state.identity = { Account: account.accountId, Arn: `arn:aws:sts::${account.accountId}:assumed-role/${account.roleName}/doplab`, UserId: 'AROAFAKE:doplab' };
      map.set(account.accountId, { account, fake: await FakeAws.start(state, { ...options, latencyMs: account.latencyMs ?? 0 }) });
    }
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = new FakeClassEndpoint(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, map);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void endpoint.handle(req, res).catch(() => res.destroy()));
    return endpoint;
  }

  /** Requests each learner account's endpoint received. */
  requestsOf(accountId: string) {
    return this.accounts.get(accountId)?.fake.requests ?? [];
  }

  async stop(): Promise<void> {
    for (const { fake } of this.accounts.values()) await fake.stop();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const form = new URLSearchParams((req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded') ? body.toString('utf8') : '');
    if (form.get('Version') === '2011-06-15') return this.sts(form, res);

    const key = /Credential=ASIA(\d{12})/.exec(String(req.headers.authorization ?? ''))?.[1];
    const target = key ? this.accounts.get(key) : undefined;
    if (!target) {
      res.writeHead(403, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify({ __type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' }));
      return;
    }
    const upstream = request(`${target.fake.url}${req.url ?? '/'}`, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 500, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    upstream.end(body);
  }

  private sts(form: URLSearchParams, res: ServerResponse): void {
    const action = form.get('Action');
    const reply = (status: number, xml: string) => res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() }).end(xml);
    const result = (inner: string) =>
      `<${action}Response xmlns="${STS_XMLNS}"><${action}Result>${inner}</${action}Result><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`;
    if (action === 'GetCallerIdentity') {
      reply(200, result(`<Arn>arn:aws:iam::${INSTRUCTOR}:user/instructor</Arn><UserId>AIDAINSTRUCTOR</UserId><Account>${INSTRUCTOR}</Account>`));
      return;
    }
    const roleArn = form.get('RoleArn') ?? '';
    const sessionName = form.get('RoleSessionName') ?? '';
    const externalId = form.get('ExternalId') ?? undefined;
    const match = /^arn:aws:iam::(\d{12}):role\/(.+)$/.exec(roleArn);
    const target = match ? this.accounts.get(match[1])?.account : undefined;
    const ok = action === 'AssumeRole' && !!target && target.roleName === match![2] && target.externalId === externalId;
    this.assumed.push({ roleArn, sessionName, ...(externalId ? { externalId } : {}), ok });
    if (!ok) {
      reply(
        403,
        `<ErrorResponse xmlns="${STS_XMLNS}"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:iam::${INSTRUCTOR}:user/instructor is not authorized to perform: sts:AssumeRole on resource: ${roleArn}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
      );
      return;
    }
    const expiration = new Date(Date.now() + Number(form.get('DurationSeconds') ?? 3600) * 1000).toISOString();
    reply(
      200,
      result(
        `<Credentials><AccessKeyId>ASIA${target!.accountId}FAKE</AccessKeyId><SecretAccessKey>fake-secret</SecretAccessKey><SessionToken>fake-token</SessionToken><Expiration>${expiration}</Expiration></Credentials>` +
          `<AssumedRoleUser><Arn>arn:aws:sts::${target!.accountId}:assumed-role/${target!.roleName}/${sessionName}</Arn><AssumedRoleId>AROAFAKE:${sessionName}</AssumedRoleId></AssumedRoleUser>`,
      ),
    );
  }
}
