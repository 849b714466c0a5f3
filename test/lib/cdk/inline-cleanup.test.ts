import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { compactSource, INLINE_CODE_LIMIT, InlineCleanup, InlineFunction, withHelpers } from '../../../lib/cdk/inline-cleanup';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'doplab-inline-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function handlerFile(body = "exports.onDelete = async (props, log) => log('ok');\n"): string {
  const file = join(dir, 'cleanup.handler.js');
  writeFileSync(file, body);
  return file;
}

describe('compactSource', () => {
  it('drops blank lines, full-line comments and indentation, and keeps code', () => {
    const source = ["'use strict';", '', '// why', '/** doc */', 'function f() {', "  return 'a // b';", '}'].join('\n');
    expect(compactSource(source)).toBe(["'use strict';", 'function f() {', "return 'a // b';", '}'].join('\n'));
  });
});

describe('InlineFunction', () => {
  function inlineFunction(source: string, environment?: Record<string, string>) {
    const stack = new Stack(new App(), 'Test');
    new InlineFunction(stack, 'Worker', { labId: 'demo-lab', name: 'worker', source, description: 'works', environment });
    return Template.fromStack(stack);
  }

  it('gets its own log group, deleted with the stack, and writes only there', () => {
    const template = inlineFunction('exports.handler = async () => 1;');
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { LogGroupName: '/doplab/demo-lab/lambda/worker', RetentionInDays: 7 },
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Handler: 'index.handler',
      Code: { ZipFile: 'exports.handler = async () => 1;' },
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^WorkerLogGroup') } },
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      Policies: [
        {
          PolicyName: 'Function',
          PolicyDocument: {
            Statement: [
              {
                Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
                Effect: 'Allow',
                Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkerLogGroup'), 'Arn'] },
              },
            ],
          },
        },
      ],
    });
    // Inline in the role, so the policy exists before the function runs (no separate AWS::IAM::Policy to order).
    template.resourceCountIs('AWS::IAM::Policy', 0);
  });

  it('refuses inline code over the limit', () => {
    const source = `exports.handler = async () => '${'x'.repeat(INLINE_CODE_LIMIT)}';`;
    expect(() => inlineFunction(source)).toThrow(
      `Inline code of Test/Worker is ${source.length} characters; doplab's limit is ${INLINE_CODE_LIMIT}. Shorten the handler file.`,
    );
  });

  it('refuses environment variables over the Lambda limit of 4 KB', () => {
    expect(() => inlineFunction('exports.handler = async () => 1;', { DATA: 'x'.repeat(4093) })).toThrow(
      'Environment of Test/Worker is 4097 bytes; Lambda allows 4096.',
    );
  });
});

describe('InlineCleanup', () => {
  function cleanupStack(file: string, properties: Record<string, string> = { QueueName: 'q' }) {
    const stack = new Stack(new App(), 'Test');
    const queue = new sqs.Queue(stack, 'Queue', { enforceSSL: true });
    new InlineCleanup(stack, 'Cleanup', {
      labId: 'demo-lab',
      handlerFile: file,
      properties,
      statements: [new iam.PolicyStatement({ actions: ['sqs:PurgeQueue'], resources: [queue.queueArn] })],
      guards: [queue],
      timeout: Duration.minutes(1),
    });
    return Template.fromStack(stack);
  }

  it('is a raw custom resource on an inline function that CloudFormation deletes before the guarded resources', () => {
    const template = cleanupStack(handlerFile());
    template.hasResource('Custom::DopLabCleanup', {
      Properties: {
        ServiceToken: { 'Fn::GetAtt': [Match.stringLikeRegexp('^CleanupHandlerFunction'), 'Arn'] },
        ServiceTimeout: '240',
        QueueName: 'q',
      },
      DeletionPolicy: 'Delete',
    });
    const [cleanup] = Object.values(template.findResources('Custom::DopLabCleanup'));
    const queueIds = [...Object.keys(template.findResources('AWS::SQS::Queue')), ...Object.keys(template.findResources('AWS::SQS::QueuePolicy'))];
    expect(queueIds).toHaveLength(2);
    expect(cleanup.DependsOn).toEqual(expect.arrayContaining(queueIds));
    template.hasResourceProperties('AWS::Lambda::Function', {
      Code: { ZipFile: Match.stringLikeRegexp('exports\\.handler=exports\\.createHandler\\(lab\\.exports\\.onDelete\\);$') },
      Timeout: 60,
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^CleanupHandlerLogGroup') } },
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      Policies: [{ PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'sqs:PurgeQueue' })]) } }],
    });
    // No cr.Provider framework: one function only.
    template.resourceCountIs('AWS::Lambda::Function', 1);
  });

  it('wires an onCreate the handler exports into the runtime, so it runs on Create', () => {
    const file = handlerFile("exports.onDelete = async () => undefined;\nexports.onCreate = async (props, log) => log('recorded');\n");
    cleanupStack(file).hasResourceProperties('AWS::Lambda::Function', {
      Code: { ZipFile: Match.stringLikeRegexp('exports\\.handler=exports\\.createHandler\\(lab\\.exports\\.onDelete,undefined,lab\\.exports\\.onCreate\\);$') },
    });
  });

  it('refuses a combined source over the limit', () => {
    const file = handlerFile(`exports.onDelete = async () => '${'x'.repeat(INLINE_CODE_LIMIT)}';\n`);
    expect(() => cleanupStack(file)).toThrow(new RegExp(`^Inline code of Test/Cleanup/Handler is \\d+ characters; doplab's limit is ${INLINE_CODE_LIMIT}\\.`));
  });

  it('refuses property names CloudFormation reserves', () => {
    expect(() => cleanupStack(handlerFile(), { ServiceToken: 'x' })).toThrow(
      'Cleanup property ServiceToken of Test/Cleanup is reserved by CloudFormation.',
    );
  });
});

describe('withHelpers', () => {
  const take = (names: string) => `const { ${names} } = require('../../lib/cdk/cleanup-helpers.js');`;

  it('replaces the require of cleanup-helpers.js by only the helpers named, merging their SDK names into the handler\'s own require', () => {
    const handler = ["'use strict';", "const { S3Client } = require('@aws-sdk/client-s3');", take('emptyBucket'), 'exports.onDelete = async () => undefined;'].join('\n');
    const source = withHelpers(handler);
    expect(source).toContain("const { S3Client, ListObjectVersionsCommand, DeleteObjectsCommand } = require('@aws-sdk/client-s3');");
    expect(source).toContain('async function emptyBucket(s3, bucket, log) {');
    expect(source).not.toContain('function attempts(');
    expect(source).not.toContain('cleanup-helpers.js');
  });

  it('adds no SDK require for a helper that sends nothing, and one of its own where the handler has none', () => {
    expect(withHelpers(take('attempts'))).not.toContain('@aws-sdk');
    expect(withHelpers(take('attempts, emptyBucket')).split('\n')[0]).toBe("const { ListObjectVersionsCommand, DeleteObjectsCommand } = require('@aws-sdk/client-s3');");
  });

  it('leaves a handler that takes no helpers as it is, and rejects a helper that does not exist', () => {
    expect(withHelpers('exports.onDelete = async () => undefined;')).toBe('exports.onDelete = async () => undefined;');
    expect(() => withHelpers(take('emptyEverything'))).toThrow('cleanup-helpers.js has no function emptyEverything');
  });
});
