import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { CfnSchedule } from 'aws-cdk-lib/aws-scheduler';
import { CfnQueue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { atExpression, deleteStackTarget, EXPIRES_AT_CONTEXT } from '../../../lib/cdk/expiry';
import { TemplateResolver, type Template as ProofTemplate } from '../../../lib/policy/intrinsics';
import { proofEnv } from '../../../lib/policy/proof';
import { addBaseStack } from '../../../lib/cdk/base-stack';
import { DopLabStack } from '../../../lib/cdk/lab-stack';
import { costGate, type CfnTemplate } from '../../../lib/cost-gate';
import { addLabStack } from '../../../labs/cloudwatch-metric-filters/stack';
import { validateBuiltin } from '../../support/lab-synth';

const EXPIRES = '2026-11-23T17:00:00.000Z';

function labStack(context: Record<string, string> = {}): DopLabStack {
  const stack = new DopLabStack(new App({ context }), 'demo-lab', 'doplab lab demo-lab');
  new CfnQueue(stack, 'Queue');
  return stack;
}

describe('expiry schedule', () => {
  it('is absent without context, so plain cdk deploy gets none', () => {
    const template = Template.fromStack(labStack());
    template.resourceCountIs('AWS::Scheduler::Schedule', 0);
    expect(template.toJSON().Outputs).toBeUndefined();
  });

  it('is absent with --ttl none', () => {
    Template.fromStack(labStack({ [EXPIRES_AT_CONTEXT]: 'none' })).resourceCountIs('AWS::Scheduler::Schedule', 0);
  });

  it('fires once at the expiry instant and calls CloudFormation DeleteStack on this very stack', () => {
    const template = Template.fromStack(labStack({ [EXPIRES_AT_CONTEXT]: EXPIRES }));
    template.resourceCountIs('AWS::Scheduler::Schedule', 1);
    const [schedule] = Object.values(template.findResources('AWS::Scheduler::Schedule')) as { Properties: Record<string, never> }[];
    expect(schedule.Properties).toMatchObject({
      ScheduleExpression: 'at(2026-11-23T17:00:00)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Target: {
        Arn: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':scheduler:::aws-sdk:cloudformation:deleteStack']] },
        RoleArn: { 'Fn::GetAtt': [expect.stringMatching(/^DopLabExpiryRole/), 'Arn'] },
      },
    });
    expect(deleteStackTarget('aws')).toBe('arn:aws:scheduler:::aws-sdk:cloudformation:deleteStack');
    // The input is {"StackName": <this stack's id>}, resolved by CloudFormation.
    expect(schedule.Properties.Target).toMatchObject({ Input: { 'Fn::Join': ['', ['{"StackName":"', { Ref: 'AWS::StackId' }, '"}']] } });
    expect(template.toJSON().Outputs).toEqual({ DopLabExpiresAt: { Description: 'When the expiry schedule deletes this stack.', Value: EXPIRES } });
  });

  it("targets DeleteStack in the stack's own partition, not arn:aws (issue 10, defect 7)", () => {
    const template = Template.fromStack(labStack({ [EXPIRES_AT_CONTEXT]: EXPIRES })).toJSON() as ProofTemplate;
    const [id] = Object.keys(template.Resources).filter((k) => template.Resources[k].Type === 'AWS::Scheduler::Schedule');
    for (const partition of ['aws', 'aws-cn', 'aws-us-gov']) {
      const resolver = new TemplateResolver(template, proofEnv('DopLab-demo-lab', { partition }));
      const target = resolver.resolve(template.Resources[id].Properties?.Target) as { Arn: string };
      expect(target.Arn).toBe(`arn:${partition}:scheduler:::aws-sdk:cloudformation:deleteStack`);
    }
  });

  it("gives the schedule a role that may call exactly cloudformation:DeleteStack on this stack, assumable only by this account's Scheduler", () => {
    const template = Template.fromStack(labStack({ [EXPIRES_AT_CONTEXT]: EXPIRES }));
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          },
        ],
      },
      Policies: [{ PolicyName: 'DeleteThisStack', PolicyDocument: { Statement: [{ Action: 'cloudformation:DeleteStack', Effect: 'Allow', Resource: { Ref: 'AWS::StackId' } }] } }],
      ManagedPolicyArns: Match.absent(),
    });
    // No iam:PassRole: CloudFormation deletes with the role associated with the stack even when the caller may not pass it.
    expect(JSON.stringify(template.toJSON())).not.toContain('iam:PassRole');
  });

  it('says the expiry instant it needs when the context is malformed', () => {
    expect(() => labStack({ [EXPIRES_AT_CONTEXT]: 'tomorrow' })).toThrow(
      'Context doplab:expiresAt must be an ISO 8601 instant such as 2026-11-23T17:00:00Z; got "tomorrow".',
    );
  });

  it('writes at() expressions to the second, in UTC', () => {
    expect(atExpression(new Date('2026-01-02T03:04:05.678+01:00'))).toBe('at(2026-01-02T02:04:05)');
  });

  describe('on a real lab stack', () => {
    const app = new App({ context: { [EXPIRES_AT_CONTEXT]: EXPIRES } });
    const stack = addLabStack(app);
    const template = Template.fromStack(stack);
    const json = template.toJSON() as CfnTemplate & { Resources: Record<string, { Type: string; DependsOn?: string[]; DeletionPolicy?: string }> };

    it('fires the same in-stack cleanup as destroy: the cleanup depends on what it guards, so DeleteStack runs it first', () => {
      const [cleanupId] = Object.keys(template.findResources('Custom::DopLabCleanup'));
      const dependsOn = json.Resources[cleanupId].DependsOn ?? [];
      const topic = Object.keys(template.findResources('AWS::SNS::Topic'))[0];
      const logGroup = Object.keys(template.findResources('AWS::Logs::LogGroup', { Properties: { LogGroupName: '/doplab/cloudwatch-metric-filters/orders-api' } }))[0];
      expect(dependsOn).toEqual(expect.arrayContaining([topic, logGroup]));
      const [scheduleId] = Object.keys(template.findResources('AWS::Scheduler::Schedule'));
      expect(JSON.stringify(json.Resources[scheduleId])).toContain('"Ref":"AWS::StackId"');
    });

    it('keeps every resource deletable (no Retain), tagged, and within the cost gate', () => {
      for (const [id, r] of Object.entries(json.Resources)) expect([id, r.DeletionPolicy ?? 'Delete']).toEqual([id, 'Delete']);
      template.hasResourceProperties('AWS::IAM::Role', { Tags: [{ Key: 'doplab:lab', Value: 'cloudwatch-metric-filters' }], Policies: [{ PolicyName: 'DeleteThisStack' }] });
      expect(costGate(json)).toEqual([]);
    });

    it('stays clean under cdk-nag AwsSolutions', () => {
      expect(new AwsSolutionsChecks(app).validateScope(stack).violations).toEqual([]);
    });
  });
});

describe('aws-cdk-lib CloudFormation validation of the expiry schedule and DopLab-Base', () => {
  const context = { [EXPIRES_AT_CONTEXT]: EXPIRES };

  it('finds no error or warning (an unknown property such as ActionAfterCompletion would be one)', async () => {
    const result = await validateBuiltin((strict) => {
      addLabStack(strict);
      addBaseStack(strict);
    }, context);
    expect(result).toEqual({ violations: [], stderr: [] });
  });

  it('rejects ActionAfterCompletion, which the Scheduler API has but AWS::Scheduler::Schedule does not (control)', async () => {
    await expect(
      validateBuiltin((strict) => {
        const stack = addLabStack(strict);
        const schedule = stack.node.findAll().find((c): c is CfnSchedule => c instanceof CfnSchedule);
        schedule?.addPropertyOverride('ActionAfterCompletion', 'DELETE');
      }, context),
    ).rejects.toThrow(/ActionAfterCompletion/);
  });
});
