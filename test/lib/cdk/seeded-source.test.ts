import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { SeededSource } from '../../../lib/cdk/seeded-source';
import { zipTextFiles } from '../../../lib/zip';
import { cfnEvent, lambdaContext, startCfnResponseServer } from '../../support/cfn-response-server';

type File = { name: string; content: string };
const writer = require('../../../lib/cdk/seeded-source.handler.js') as {
  storedZip: (files: File[]) => Buffer;
  onEvent: (event: unknown, s3?: S3Client) => Promise<{ id: string; data?: Record<string, string> }>;
};

const FILES: File[] = [
  { name: 'package.json', content: '{ "name": "orders-api", "scripts": { "test": "node --test" } }\n' },
  { name: 'src/pricing.js', content: "'use strict';\nexports.total = (items) => items.reduce((s, i) => s + i.price * i.qty, 0);\n" },
  { name: 'test/ünïcode name.test.js', content: '// € – UTF-8 in names and content\n' },
  { name: 'empty.txt', content: '' },
];

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'doplab-zip-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function written(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

describe('storedZip (the seeded-source writer)', () => {
  it('writes a zip that Info-ZIP unzip lists and tests without error, every entry stored', () => {
    const path = written('listed.zip', writer.storedZip(FILES));
    const listing = execFileSync('unzip', ['-Z', '-l', path], { encoding: 'utf8' });
    for (const f of FILES) expect(listing).toContain(f.name);
    // -Z -l shows the method: "stor" for every entry, and Unix permissions from the external attributes.
    expect(listing.split('\n').filter((l) => / stor /.test(l))).toHaveLength(FILES.length);
    expect(listing).toMatch(/-rw-r--r--/);
    expect(execFileSync('unzip', ['-t', path], { encoding: 'utf8' })).toMatch(/No errors detected/);
  });

  it("reads back byte for byte with Python's zipfile (CRC-32 checked), UTF-8 names flagged", () => {
    const path = written('python.zip', writer.storedZip(FILES));
    const script = [
      'import json, sys, zipfile',
      'z = zipfile.ZipFile(sys.argv[1])',
      'assert z.testzip() is None',
      'print(json.dumps([[i.filename, i.compress_type, i.flag_bits & 0x800, i.date_time[0], z.read(i).decode("utf-8")] for i in z.infolist()]))',
    ].join('\n');
    const out = JSON.parse(execFileSync('python3', ['-c', script, path], { encoding: 'utf8' })) as [string, number, number, number, string][];
    expect(out).toEqual(FILES.map((f) => [f.name, 0, 0x800, 1980, f.content]));
  });

  it('makes the same bytes for the same files (fixed dates), so a redeploy writes an identical object', () => {
    expect(writer.storedZip(FILES).equals(writer.storedZip(FILES))).toBe(true);
  });

  it('reads back with the zip reader doplab checkers use', () => {
    expect(zipTextFiles(writer.storedZip(FILES))).toEqual(Object.fromEntries(FILES.map((f) => [f.name, f.content])));
  });
});

describe('zipTextFiles (reading a source object)', () => {
  it('reads deflated entries written by Info-ZIP zip, skipping directories and unwanted files', () => {
    const src = mkdtempSync(join(dir, 'src-'));
    execFileSync('mkdir', ['-p', join(src, 'app')]);
    writeFileSync(join(src, 'buildspec.yml'), `version: 0.2\n${'# padding that deflates well\n'.repeat(50)}`);
    writeFileSync(join(src, 'app', 'index.js'), 'module.exports = 1;\n');
    execFileSync('zip', ['-r', '-9', '-q', join(dir, 'info.zip'), '.'], { cwd: src });
    const bytes = require('node:fs').readFileSync(join(dir, 'info.zip')) as Buffer;
    expect(execFileSync('unzip', ['-Z', '-l', join(dir, 'info.zip')], { encoding: 'utf8' })).toMatch(/ defX /);
    expect(zipTextFiles(bytes)).toEqual({ 'buildspec.yml': expect.stringMatching(/^version: 0.2\n/), 'app/index.js': 'module.exports = 1;\n' });
    expect(Object.keys(zipTextFiles(bytes, { wanted: (n) => n.endsWith('.yml') }))).toEqual(['buildspec.yml']);
  });

  it("reads deflated entries written by Python's zipfile", () => {
    const path = join(dir, 'py-deflated.zip');
    execFileSync('python3', ['-c', 'import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z: z.writestr("buildspec.yml", "version: 0.2\\n" * 20)', path]);
    expect(zipTextFiles(require('node:fs').readFileSync(path) as Buffer)).toEqual({ 'buildspec.yml': 'version: 0.2\n'.repeat(20) });
  });

  it('refuses bytes that are not a zip, and an entry that expands beyond the limit, with a clear message', () => {
    expect(() => zipTextFiles(Buffer.from('version: 0.2\n'))).toThrow('not a readable zip archive (invalid zip data)');
    const big = writer.storedZip([{ name: 'buildspec.yml', content: 'x'.repeat(2048) }]);
    expect(() => zipTextFiles(big, { maxEntryBytes: 1024 })).toThrow('buildspec.yml expands to 2048 bytes; at most 1024 are read');
  });
});

describe('SeededSource', () => {
  function synth() {
    const stack = new Stack(new App(), 'DopLab-test');
    const bucket = new s3.Bucket(stack, 'Source', { versioned: true });
    const source = new SeededSource(stack, 'Seed', { labId: 'test', bucket, key: 'source.zip', files: { 'a.txt': 'a' } });
    return { stack, source, template: Template.fromStack(stack), json: Template.fromStack(stack).toJSON() as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> } };
  }

  it('writes the files given, to the key given, with an inline function allowed s3:PutObject on that key only', () => {
    const { template, json } = synth();
    const bucketId = Object.keys(json.Resources).find((id) => json.Resources[id].Type === 'AWS::S3::Bucket');
    template.hasResourceProperties('Custom::DopLabSeededSource', { Bucket: { Ref: bucketId }, Key: 'source.zip', Files: '{"a.txt":"a"}' });
    const roles = Object.values(json.Resources).filter((r) => r.Type === 'AWS::IAM::Role');
    expect(roles).toHaveLength(1);
    expect(roles[0].Properties.Policies).toEqual([
      {
        PolicyName: 'Function',
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^DopLabResourcesHandlerLogGroup/), 'Arn'] } },
            { Action: 's3:PutObject', Effect: 'Allow', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/source.zip']] } },
          ],
        },
      },
    ]);
    const fn = Object.values(json.Resources).find((r) => r.Type === 'AWS::Lambda::Function');
    expect(fn?.Properties.Code).toEqual({ ZipFile: expect.stringContaining('onEvent["Custom::DopLabSeededSource"]=m0.exports.onEvent;') });
  });

  it('refuses an empty file list', () => {
    const stack = new Stack(new App(), 'DopLab-test');
    expect(() => new SeededSource(stack, 'Seed', { labId: 'test', bucket: new s3.Bucket(stack, 'B'), key: 'k.zip', files: {} })).toThrow('SeededSource DopLab-test/Seed needs at least one file.');
  });

  describe('as deployed', () => {
    let s3mock: AwsClientStub<S3Client>;
    beforeEach(() => {
      s3mock = mockClient(S3Client);
      jest.spyOn(console, 'log').mockImplementation(() => undefined);
    });
    afterEach(() => {
      s3mock.restore();
      jest.restoreAllMocks();
    });

    async function runInlined(requestType: string, props: Record<string, string>) {
      const { json } = synth();
      const fn = Object.values(json.Resources).find((r) => r.Type === 'AWS::Lambda::Function');
      // Inside the repository, so that the inlined require() calls find the SDK (and its mocks) in node_modules.
      const codeDir = mkdtempSync(join(__dirname, '.inline-'));
      const server = await startCfnResponseServer();
      try {
        writeFileSync(join(codeDir, 'index.js'), (fn?.Properties.Code as { ZipFile: string }).ZipFile);
        const index = require(join(codeDir, 'index.js')) as { handler: (event: unknown, context: unknown) => Promise<void> };
        await index.handler({ ...cfnEvent(requestType, server.url, props), ResourceType: 'Custom::DopLabSeededSource' }, lambdaContext(30_000));
        return server.responses;
      } finally {
        await server.close();
        rmSync(codeDir, { recursive: true, force: true });
      }
    }

    it('puts a zip of the files on Create and answers SUCCESS with the version id', async () => {
      s3mock.on(PutObjectCommand).resolves({ VersionId: '3HL4kqtJlcpXroDTDmJ.rmSxXd3ZBLOw', ETag: '"e3b0c442"' });
      const responses = await runInlined('Create', { Bucket: 'doplab-src', Key: 'source.zip', Files: JSON.stringify({ 'src/a.js': 'a\n', 'b.txt': 'b' }) });
      const [put] = s3mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
      expect(put).toMatchObject({ Bucket: 'doplab-src', Key: 'source.zip', ContentType: 'application/zip' });
      expect(zipTextFiles(put.Body as Buffer)).toEqual({ 'src/a.js': 'a\n', 'b.txt': 'b' });
      expect(responses.map((r) => r.body)).toEqual([
        expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: 's3://doplab-src/source.zip', Data: { VersionId: '3HL4kqtJlcpXroDTDmJ.rmSxXd3ZBLOw' } }),
      ]);
    });

    it('answers FAILED with the S3 error, so the stack rolls back instead of a pipeline without source', async () => {
      s3mock.on(PutObjectCommand).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
      const responses = await runInlined('Create', { Bucket: 'doplab-src', Key: 'source.zip', Files: '{"a":"b"}' });
      expect(responses.map((r) => r.body)).toEqual([expect.objectContaining({ Status: 'FAILED', Reason: 'AccessDenied: Access Denied' })]);
      expect(responses[0].body).not.toHaveProperty('Data');
    });

    it('leaves the object on Delete (the bucket owner empties it) and answers SUCCESS', async () => {
      const responses = await runInlined('Delete', { Bucket: 'doplab-src', Key: 'source.zip', Files: '{"a":"b"}' });
      expect(s3mock.calls()).toHaveLength(0);
      expect(responses.map((r) => r.body)).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: 'CleanupD4E4842E' })]);
    });
  });
});
