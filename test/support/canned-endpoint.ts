import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as the fake endpoint received it. */
export interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The `Action` parameter of an AWS Query request (STS, CloudFormation), e.g. `GetCallerIdentity`. */
  readonly action: string | null;
}

/** What the fake endpoint answers: an HTTP response, or `'hang'` to never answer. */
export type FakeResponse = { readonly status: number; readonly body: string; readonly contentType?: string } | 'hang';

/** A local HTTP server standing in for AWS, so SDK clients run their whole middleware stack offline. */
export interface FakeAwsEndpoint {
  /** `http://127.0.0.1:<port>`: pass as --endpoint-url or AWS_ENDPOINT_URL. */
  readonly url: string;
  readonly requests: ReceivedRequest[];
  close(): Promise<void>;
}

export async function startFakeAwsEndpoint(respond: (request: ReceivedRequest) => FakeResponse): Promise<FakeAwsEndpoint> {
  const requests: ReceivedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const request = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body,
        action: new URLSearchParams(body).get('Action'),
      };
      requests.push(request);
      const answer = respond(request);
      if (answer === 'hang') return;
      res.writeHead(answer.status, { 'content-type': answer.contentType ?? 'text/xml', 'x-amzn-requestid': 'c6104cbe-af31-11e0-8154-cbc7ccf896c7' });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const REQUEST_ID = '<RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>';

export const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
export const CLOUDFORMATION_NS = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';

/** A successful AWS Query response, as STS and CloudFormation send it. */
export function queryResponse(namespace: string, action: string, result: string): FakeResponse {
  return {
    status: 200,
    body:
      `<${action}Response xmlns="${namespace}">` +
      `<${action}Result>${result}</${action}Result>` +
      `<ResponseMetadata>${REQUEST_ID}</ResponseMetadata>` +
      `</${action}Response>`,
  };
}

/** An AWS Query error response, e.g. `ValidationError` with status 400. */
export function queryError(namespace: string, code: string, message: string, status = 400): FakeResponse {
  return {
    status,
    body: `<ErrorResponse xmlns="${namespace}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error>${REQUEST_ID}</ErrorResponse>`,
  };
}

export const callerIdentity = (account = '123456789012') =>
  queryResponse(
    STS_NS,
    'GetCallerIdentity',
    `<Arn>arn:aws:iam::${account}:user/learner</Arn><UserId>AIDACKCEVSQ6C2EXAMPLE</UserId><Account>${account}</Account>`,
  );
