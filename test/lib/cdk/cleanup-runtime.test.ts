import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanupSource } from '../../../lib/cdk/inline-cleanup';
import { cfnEvent, lambdaContext, startCfnResponseServer, type CfnResponseServer } from '../../support/cfn-response-server';

type OnDelete = (props: Record<string, string>, log: (...args: unknown[]) => void) => unknown;
type Handler = (event: unknown, context: unknown) => Promise<void>;
 
const runtime = require('../../../lib/cdk/cleanup-runtime.js') as { createHandler: (onDelete: OnDelete, marginMs?: number, onCreate?: OnDelete) => Handler };

let server: CfnResponseServer;
beforeEach(async () => {
  server = await startCfnResponseServer();
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});
afterEach(async () => {
  jest.restoreAllMocks();
  await server.close();
});

describe('cleanup runtime', () => {
  it('answers Create with SUCCESS at once, without cleaning up', async () => {
    const onDelete = jest.fn();
    await runtime.createHandler(onDelete)(cfnEvent('Create', server.url), lambdaContext(120_000));
    expect(onDelete).not.toHaveBeenCalled();
    expect(server.responses).toHaveLength(1);
    const [response] = server.responses;
    expect(response.method).toBe('PUT');
    expect(response.path).toBe('/cloudformation-custom-resource-response?X-Amz-Signature=test');
    // The pre-signed S3 URL is signed without a content type.
    expect(response.headers['content-type']).toBe('');
    expect(response.body).toEqual({
      Status: 'SUCCESS',
      Reason: 'nothing to do',
      PhysicalResourceId: 'CleanupD4E4842E',
      StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/DopLab-lab/5b6e1a20-c8d1-11f0-9a3b-0a1b2c3d4e5f',
      RequestId: '7f3c2a19-4b5d-4e6f-8a7b-9c0d1e2f3a4b',
      LogicalResourceId: 'CleanupD4E4842E',
    });
  });

  it('answers Update with SUCCESS and keeps the physical id, so CloudFormation does not replace the resource', async () => {
    const onDelete = jest.fn();
    const event = { ...cfnEvent('Update', server.url), PhysicalResourceId: 'cleanup-1' };
    await runtime.createHandler(onDelete)(event, lambdaContext(120_000));
    expect(onDelete).not.toHaveBeenCalled();
    expect(server.responses[0].body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'cleanup-1' });
  });

  it('runs onDelete on Delete with the resource properties, minus ServiceToken and ServiceTimeout', async () => {
    const onDelete = jest.fn(async () => undefined);
    await runtime.createHandler(onDelete)(cfnEvent('Delete', server.url, { TopicArn: 'arn:aws:sns:us-east-1:123456789012:t' }), lambdaContext(120_000));
    expect(onDelete).toHaveBeenCalledWith({ TopicArn: 'arn:aws:sns:us-east-1:123456789012:t' }, expect.any(Function));
    expect(server.responses[0].body).toMatchObject({ Status: 'SUCCESS', Reason: 'cleanup done' });
  });

  it('reports SUCCESS with the failure as reason when onDelete throws, so the stack can still be deleted', async () => {
    const onDelete = jest.fn(async () => {
      throw new Error('could not delete orders-api-errors: AccessDenied: not authorized');
    });
    await expect(runtime.createHandler(onDelete)(cfnEvent('Delete', server.url), lambdaContext(120_000))).resolves.toBeUndefined();
    expect(server.responses[0].body).toMatchObject({
      Status: 'SUCCESS',
      Reason: 'cleanup failed: could not delete orders-api-errors: AccessDenied: not authorized',
    });
  });

  it('stops waiting for onDelete when the time budget is spent, and responds before the Lambda timeout', async () => {
    const onDelete = jest.fn(() => new Promise(() => undefined));
    const remainingMs = 2_500;
    await runtime.createHandler(onDelete, 1_000)(cfnEvent('Delete', server.url), lambdaContext(remainingMs));
    expect(server.responses).toHaveLength(1);
    expect(server.responses[0].body).toMatchObject({ Status: 'SUCCESS', Reason: expect.stringMatching(/^cleanup stopped after 1[45]\d\d ms$/) });
    expect(server.responses[0].at).toBeLessThan(remainingMs);
  });

  it('runs the optional onCreate on Create only, with the resource properties, and answers SUCCESS', async () => {
    const onCreate = jest.fn(async () => undefined);
    const onDelete = jest.fn();
    await runtime.createHandler(onDelete, undefined, onCreate)(cfnEvent('Create', server.url, { ParameterName: '/doplab/x' }), lambdaContext(120_000));
    await runtime.createHandler(onDelete, undefined, onCreate)({ ...cfnEvent('Update', server.url), PhysicalResourceId: 'cleanup-1' }, lambdaContext(120_000));
    expect(onCreate).toHaveBeenCalledTimes(1);
    expect(onCreate).toHaveBeenCalledWith({ ParameterName: '/doplab/x' }, expect.any(Function));
    expect(onDelete).not.toHaveBeenCalled();
    expect(server.responses.map((r) => r.body)).toEqual([
      expect.objectContaining({ Status: 'SUCCESS', Reason: 'recorded' }),
      expect.objectContaining({ Status: 'SUCCESS', Reason: 'nothing to do' }),
    ]);
  });

  it('answers Create with FAILED when onCreate throws, so the deploy stops before anything changes', async () => {
    const onCreate = jest.fn(async () => {
      throw new Error('AccessDeniedException: not authorized to perform: ecr:GetRegistryScanningConfiguration');
    });
    await runtime.createHandler(jest.fn(), undefined, onCreate)(cfnEvent('Create', server.url), lambdaContext(120_000));
    expect(server.responses[0].body).toMatchObject({
      Status: 'FAILED',
      Reason: 'recording failed: AccessDeniedException: not authorized to perform: ecr:GetRegistryScanningConfiguration',
    });
  });

  it('answers an unknown request type with FAILED', async () => {
    await runtime.createHandler(jest.fn())(cfnEvent('Rollback', server.url), lambdaContext(120_000));
    expect(server.responses[0].body).toMatchObject({ Status: 'FAILED', Reason: 'unknown RequestType Rollback' });
  });

  it('retries the response when the URL answers with an error', async () => {
    server.statuses.push(503, 500);
    await runtime.createHandler(jest.fn())(cfnEvent('Create', server.url), lambdaContext(120_000));
    expect(server.responses).toHaveLength(3);
    expect(console.log).toHaveBeenCalledWith('response attempt 1 failed: HTTP 503');
  });

  it('never throws when the response cannot be delivered', async () => {
    const url = server.url;
    await server.close();
    await expect(runtime.createHandler(jest.fn())(cfnEvent('Create', url), lambdaContext(120_000))).resolves.toBeUndefined();
    expect(console.log).toHaveBeenCalledWith(expect.stringMatching(/^response attempt 3 failed: /));
    server = await startCfnResponseServer();
  });
});

describe('cleanupSource', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'doplab-cleanup-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('combines the runtime and the lab handler into one module whose handler calls the lab onDelete', async () => {
    const handlerFile = join(dir, 'cleanup.handler.js');
    writeFileSync(
      handlerFile,
      [
        "'use strict';",
        '// a comment that is stripped',
        'const put = (props) => globalThis.cleanupCalls.push(props);',
        'exports.onDelete = async (props, log) => {',
        "  log('cleaning');",
        '  put(props);',
        '};',
      ].join('\n'),
    );
    const source = cleanupSource(handlerFile);
    expect(source).not.toContain('a comment that is stripped');
    writeFileSync(join(dir, 'index.js'), source);
    const calls: unknown[] = [];
    (globalThis as { cleanupCalls?: unknown[] }).cleanupCalls = calls;
     
    const index = require(join(dir, 'index.js')) as { handler: Handler };
    await index.handler(cfnEvent('Delete', server.url, { Namespace: 'DopLab/OrdersApi' }), lambdaContext(120_000));
    expect(calls).toEqual([{ Namespace: 'DopLab/OrdersApi' }]);
    expect(console.log).toHaveBeenCalledWith('cleaning');
    expect(server.responses[0].body).toMatchObject({ Status: 'SUCCESS', Reason: 'cleanup done' });
  });

  it('refuses a handler file that does not export onDelete', () => {
    const handlerFile = join(dir, 'bad.handler.js');
    writeFileSync(handlerFile, 'exports.handler = async () => {};\n');
    expect(() => cleanupSource(handlerFile)).toThrow(
      `Cleanup handler ${handlerFile} must export onDelete(props, log) as "exports.onDelete = ...".`,
    );
  });
});
