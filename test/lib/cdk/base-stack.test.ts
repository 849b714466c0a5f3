import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { addBaseStack, BASE_STACK_NAME, LAB_SERVICES } from '../../../lib/cdk/base-stack';
import { EXPIRES_AT_CONTEXT } from '../../../lib/cdk/expiry';
import { LABS } from '../../../labs';

/** The IAM prefix CloudFormation needs for a resource type: `AWS::Logs::LogGroup` → logs; custom resources invoke Lambda. */
function servicePrefix(type: string): string {
  if (type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource') return 'lambda';
  const service = type.split('::')[1] ?? '';
  const irregular: Record<string, string> = { ElasticLoadBalancingV2: 'elasticloadbalancing', ApplicationAutoScaling: 'application-autoscaling' };
  return irregular[service] ?? service.toLowerCase();
}

describe('DopLab-Base', () => {
  const app = new App();
  const stack = addBaseStack(app);
  const template = Template.fromStack(stack);
  const [role] = Object.values(template.findResources('AWS::IAM::Role')) as { Properties: { Policies: { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown; Condition?: unknown }[] } }[] } }[];
  const statements = role.Properties.Policies.flatMap((p) => p.PolicyDocument.Statement);

  it('is one stack, DopLab-Base, with one role CloudFormation assumes, and exports its ARN', () => {
    expect(stack.stackName).toBe(BASE_STACK_NAME);
    template.resourceCountIs('AWS::IAM::Role', 1);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'cloudformation.amazonaws.com' } }] },
    });
    expect(template.toJSON().Outputs.ExecutionRoleArn.Value).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^ExecutionRole/), 'Arn'] });
    expect(template.toJSON().Parameters).toBeUndefined();
  });

  it('grants the lab services in this region only, IAM only on roles named DopLab-*, and only four service-linked roles, and only AWS public parameters of SSM', () => {
    expect(statements).toEqual([
      { Action: LAB_SERVICES.map((s) => `${s}:*`), Effect: 'Allow', Resource: '*', Condition: { StringEquals: { 'aws:RequestedRegion': { Ref: 'AWS::Region' } } } },
      expect.objectContaining({ Effect: 'Allow', Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':role/DopLab-*']] } }),
      {
        Action: 'iam:CreateServiceLinkedRole',
        Effect: 'Allow',
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':role/aws-service-role/*']] },
        Condition: { StringEquals: { 'iam:AWSServiceName': ['ecs.amazonaws.com', 'elasticloadbalancing.amazonaws.com', 'config.amazonaws.com', 'autoscaling.amazonaws.com'] } },
      },
      expect.objectContaining({ Effect: 'Allow', Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':instance-profile/DopLab-*']] } }),
      {
        Action: ['ssm:GetParameter', 'ssm:GetParameters'],
        Effect: 'Allow',
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ssm:', { Ref: 'AWS::Region' }, '::parameter/aws/service/*']] },
      },
      {
        Action: ['kms:CreateGrant', 'kms:DescribeKey', 'kms:RetireGrant', 'kms:Decrypt', 'kms:GenerateDataKey'],
        Effect: 'Allow',
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':kms:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':key/*']] },
        Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['backup.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } } },
      },
    ]);
    expect((statements[3].Action as string[]).every((a) => a.startsWith('iam:') && a.includes('InstanceProfile'))).toBe(true);
    const iamActions = statements[1].Action as string[];
    expect(iamActions.every((a) => a.startsWith('iam:'))).toBe(true);
    expect(iamActions).toEqual(expect.arrayContaining(['iam:CreateRole', 'iam:DeleteRole', 'iam:PassRole', 'iam:PutRolePolicy']));
    const actions = statements.flatMap((st) => [st.Action].flat());
    expect(actions.filter((a) => a === '*' || a === 'iam:*' || a.startsWith('sts:') || a.startsWith('organizations:'))).toEqual([]);
  });

  it('lets CloudFormation invoke the in-stack cleanup functions (custom resources) with lambda:InvokeFunction', () => {
    const allows = (action: string) =>
      statements.some((st) => [st.Action].flat().some((pattern) => new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(action)));
    expect(allows('lambda:InvokeFunction')).toBe(true);
    expect(allows('cloudformation:DeleteStack')).toBe(false);
    expect(allows('iam:CreateUser')).toBe(false);
  });

  it("covers every service of every lab's template (with its expiry schedule)", () => {
    const labApp = new App({ context: { [EXPIRES_AT_CONTEXT]: '2026-11-23T17:00:00.000Z' } });
    return Promise.all(LABS.map(async (lab) => (await lab.loadStack()).addLabStack(labApp))).then(() => {
      const assembly = labApp.synth();
      const uncoveredByStack = assembly.stacks.map((artifact) => {
        const types = Object.values((artifact.template as { Resources: Record<string, { Type: string }> }).Resources).map((r) => r.Type);
        const uncovered = [...new Set(types.map(servicePrefix))].filter((p) => p !== 'iam' && p !== 'cdk' && !(LAB_SERVICES as readonly string[]).includes(p));
        return [artifact.stackName, uncovered];
      });
      expect(uncoveredByStack).toEqual(assembly.stacks.map((artifact) => [artifact.stackName, []]));
      expect(assembly.stacks.length).toBe(LABS.length);
    });
  });

  it('is clean under cdk-nag AwsSolutions, its wildcards acknowledged with reasons', () => {
    expect(new AwsSolutionsChecks(app).validateScope(stack).violations).toEqual([]);
  });
});
