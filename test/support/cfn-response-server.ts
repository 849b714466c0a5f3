import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';

/** One PUT a custom resource made to its ResponseURL. */
export interface CfnResponse {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Record<string, unknown>;
  /** Milliseconds since the server started. */
  readonly at: number;
}

/** A local stand-in for CloudFormation's pre-signed response URL, on 127.0.0.1. */
export interface CfnResponseServer {
  readonly url: string;
  readonly responses: CfnResponse[];
  /** HTTP statuses to answer with, in order; 200 once they run out. */
  readonly statuses: number[];
  close(): Promise<void>;
}

/** Starts a server that records every response a custom resource sends. */
export async function startCfnResponseServer(): Promise<CfnResponseServer> {
  const started = Date.now();
  const responses: CfnResponse[] = [];
  const statuses: number[] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
    req.on('end', () => {
      responses.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: JSON.parse(raw), at: Date.now() - started });
      res.statusCode = statuses.shift() ?? 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/cloudformation-custom-resource-response?X-Amz-Signature=test`,
    responses,
    statuses,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A CloudFormation custom resource request, as the Lambda receives it. */
export function cfnEvent(requestType: string, responseURL: string, properties: Record<string, string> = {}) {
  return {
    RequestType: requestType,
    ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:DopLab-lab-CleanupHandlerFunction5D032C60-AbCdEf',
    ResponseURL: responseURL,
    StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/DopLab-lab/5b6e1a20-c8d1-11f0-9a3b-0a1b2c3d4e5f',
    RequestId: '7f3c2a19-4b5d-4e6f-8a7b-9c0d1e2f3a4b',
    LogicalResourceId: 'CleanupD4E4842E',
    ResourceType: 'Custom::DopLabCleanup',
    ...(requestType === 'Create' ? {} : { PhysicalResourceId: 'CleanupD4E4842E' }),
    ResourceProperties: {
      ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:DopLab-lab-CleanupHandlerFunction5D032C60-AbCdEf',
      ServiceTimeout: '420',
      ...properties,
    },
  };
}

/** A Lambda context with the given time left. */
export function lambdaContext(remainingMs: number) {
  const deadline = Date.now() + remainingMs;
  return {
    getRemainingTimeInMillis: () => deadline - Date.now(),
    logStreamName: '2026/11/23/[$LATEST]0a1b2c3d4e5f60718293a4b5c6d7e8f9',
  };
}

/**
 * Runs inline Lambda code as deployed: written as index.js to a fresh folder in `dir` (so it resolves the project's
 * packages), required, and its handler called with `event(url)` against a local response server. Console output is
 * silenced. Returns what the function PUT to its response URL.
 */
export async function runInlineCode(zipFile: string, dir: string, event: (responseURL: string) => object, remainingMs = 300_000): Promise<CfnResponse[]> {
  const folder = mkdtempSync(join(dir, '.inline-'));
  const quiet = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  const server = await startCfnResponseServer();
  try {
    writeFileSync(join(folder, 'index.js'), zipFile);
    const index = require(join(folder, 'index.js')) as { handler: (event: unknown, context: unknown) => Promise<void> };
    await index.handler(event(server.url), lambdaContext(remainingMs));
    return server.responses;
  } finally {
    quiet.mockRestore();
    await server.close();
    rmSync(folder, { recursive: true, force: true });
  }
}
