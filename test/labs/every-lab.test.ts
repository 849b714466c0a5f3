import { Script } from 'node:vm';
import { App, CfnResource, Stack, TagManager } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { LAB_TAG_KEY } from '../../lib/contract';
import { costGate } from '../../lib/cost-gate';
import type { Lab } from '../../lib/lab';
import { LABS } from '../../labs';
import {
  acknowledgments,
  addStack,
  contextName,
  stackContexts,
  synthLab,
  templateBody,
  validateBuiltin,
  withoutAcknowledgments,
  type Acknowledgment,
  type StackContext,
} from '../support/lab-synth';

/** The template body limit for a stack deployed without a bootstrap bucket (characters of the YAML the CDK CLI sends). */
const TEMPLATE_BODY_LIMIT = 51_200;
/** Resource types that take tags, checked in the template itself so a TagManager blind spot cannot hide one. */
const TAGGED_TYPES = [
  'AWS::CodeDeploy::DeploymentGroup',
  'AWS::EC2::VPC',
  'AWS::ECS::Service',
  'AWS::ECS::TaskDefinition',
  'AWS::ElasticLoadBalancingV2::LoadBalancer',
  'AWS::Events::Rule',
  'AWS::IAM::Role',
  'AWS::Lambda::Function',
  'AWS::Logs::LogGroup',
  'AWS::S3::Bucket',
  'AWS::SNS::Topic',
];
/** Types that need file assets or an S3 upload to deploy. */
const ASSET_TYPES = ['AWS::Lambda::LayerVersion', 'AWS::Serverless::Function', 'AWS::Serverless::LayerVersion', 'AWS::CloudFormation::Stack'];
/** The one acknowledgment aws-cdk-lib makes itself (when a stack reads `stack.availabilityZones`), not the lab. */
const CDK_OWN_ACKNOWLEDGMENT = { rule: 'CloudFormation-Validate::W3010', reason: /^Literal AZs in template are the result of accessing stack\.availabilityZones/ };

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- labs differ in outputs and facts types
type AnyLab = Lab<any, any>;
const VARIANTS: [string, AnyLab, StackContext][] = LABS.flatMap((lab) => stackContexts(lab).map((context): [string, AnyLab, StackContext] => [`${lab.id} (${contextName(context)})`, lab, context]));

/**
 * A resource's tags as a list of Key/Value. Some types (AWS::SSM::Parameter, AWS::Backup::BackupVault) take a plain key-value map; an
 * Auto Scaling group's tags also say whether its instances get them, and the lab tag must reach them too.
 */
function tagsOf(resource: { Type: string; Properties?: Record<string, unknown> } | undefined): unknown {
  // A backup vault takes its tags as BackupVaultTags, a key-value map.
  const tags = resource?.Type === 'AWS::Backup::BackupVault' ? resource.Properties?.BackupVaultTags : resource?.Properties?.Tags;
  if (tags !== null && typeof tags === 'object' && !Array.isArray(tags)) return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
  if (resource?.Type === 'AWS::AutoScaling::AutoScalingGroup' && Array.isArray(tags)) {
    return tags.map(({ PropagateAtLaunch, ...tag }: Record<string, unknown>) => (PropagateAtLaunch === true ? tag : { ...tag, PropagateAtLaunch }));
  }
  return tags;
}

describe.each(VARIANTS)('lab stack %s', (_, lab, context) => {
  const synth = () => synthLab(lab, context);

  it('tags every resource that takes tags doplab:lab=<lab id>', async () => {
    const { stack, template } = await synth();
    const labTag = expect.arrayContaining([{ Key: LAB_TAG_KEY, Value: lab.id }]);
    const taggable = stack.node
      .findAll()
      .filter((c): c is CfnResource & IConstruct => CfnResource.isCfnResource(c) && (TagManager.isTaggable(c) || TagManager.isTaggableV2(c)));
    expect(taggable.length).toBeGreaterThan(0);
    for (const resource of taggable) {
      const logicalId = stack.resolve(resource.logicalId) as string;
      expect({ logicalId, tags: tagsOf(template.Resources[logicalId]) }).toEqual({ logicalId, tags: labTag });
    }
    for (const [logicalId, resource] of Object.entries(template.Resources)) {
      if (TAGGED_TYPES.includes(resource.Type)) expect({ logicalId, tags: tagsOf(resource) }).toEqual({ logicalId, tags: labTag });
    }
  });

  it('keeps nothing after cdk destroy: every resource, log groups explicitly, is deleted, on delete and on replacement', async () => {
    const { template } = await synth();
    const kept = Object.entries(template.Resources)
      .filter(([, r]) => (r.DeletionPolicy ?? 'Delete') !== 'Delete' || (r.UpdateReplacePolicy ?? 'Delete') !== 'Delete')
      .map(([id, r]) => `${id}: ${r.DeletionPolicy}/${r.UpdateReplacePolicy}`);
    expect(kept).toEqual([]);
    const logGroups = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::Logs::LogGroup');
    for (const [id, r] of logGroups) expect([id, r.DeletionPolicy]).toEqual([id, 'Delete']);
  });

  it('exports exactly the outputs of its contract', async () => {
    const { template } = await synth();
    expect(Object.keys(template.Outputs ?? {}).sort()).toEqual(Object.values(lab.checker.outputs as Record<string, string>).sort());
  });

  it('needs no assets and no bootstrap: no asset, parameter, rule, S3-code Lambda, layer or nested stack', async () => {
    const { artifact, template } = await synth();
    expect(artifact.assets).toEqual([]);
    expect(template.Parameters ?? {}).toEqual({});
    expect(template.Rules ?? {}).toEqual({});
    expect(Object.values(template.Resources).filter((r) => ASSET_TYPES.includes(r.Type))).toEqual([]);
  });

  it('gives every Lambda function inline code that parses and an explicit log group of its own stack', async () => {
    const { template } = await synth();
    const functions = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');
    for (const [id, fn] of functions) {
      const properties = fn.Properties ?? {};
      expect([id, properties.Code]).toEqual([id, { ZipFile: expect.any(String) }]);
      // The code as inlined (comments and indentation stripped) still parses.
      expect(() => new Script((properties.Code as { ZipFile: string }).ZipFile, { filename: id })).not.toThrow();
      const logGroup = (properties.LoggingConfig as { LogGroup?: { Ref?: string } } | undefined)?.LogGroup?.Ref ?? '';
      expect([id, template.Resources[logGroup]?.Type]).toEqual([id, 'AWS::Logs::LogGroup']);
    }
  });

  it('fits in a template body sent without a bootstrap bucket, measured as the CDK CLI synthesizes and sends it', async () => {
    const { template } = await synth();
    // Path metadata and version reporting on, as with `cdk deploy`: the CLI adds the CDKMetadata resource.
    expect(Object.keys(template.Resources)).toContain('CDKMetadata');
    expect(templateBody(template).length).toBeLessThan(TEMPLATE_BODY_LIMIT);
  });

  it('passes the cost gate', async () => {
    const { template } = await synth();
    expect(costGate(template)).toEqual([]);
  });

  describe('cdk-nag AwsSolutions', () => {
    it('reports nothing that is not acknowledged', async () => {
      const { app, stack } = await synth();
      expect(new AwsSolutionsChecks(app).validateScope(stack).violations).toEqual([]);
    });

    it('has every acknowledgment say why, and only aws-cdk-lib acknowledges anything but AwsSolutions rules', async () => {
      const { stack } = await synth();
      const found = acknowledgments(stack);
      for (const { path, rule, reason } of found) expect([path, rule, reason.length > 60]).toEqual([path, rule, true]);
      const isCdkOwn = (a: Acknowledgment) => a.rule === CDK_OWN_ACKNOWLEDGMENT.rule && CDK_OWN_ACKNOWLEDGMENT.reason.test(a.reason);
      expect(found.filter((a) => !a.rule.startsWith('AwsSolutions-') && !isCdkOwn(a))).toEqual([]);
    });

    it('needs every acknowledgment: the same stack without them shows exactly the findings they silence, once each', async () => {
      const { stack } = await synth();
      const acknowledged = new Set(acknowledgments(stack).filter((a) => a.rule.startsWith('AwsSolutions-')).map((a) => a.rule));
      const findings = await withoutAcknowledgments(async () => {
        const bare = await addStack(lab, new App({ context }));
        return new AwsSolutionsChecks().validateScope(bare).violations.map((v) => v.ruleName);
      });
      expect(findings.sort()).toEqual([...acknowledged].sort());
    });
  });
});

describe.each(LABS.map((lab): [string, AnyLab] => [lab.id, lab]))('aws-cdk-lib CloudFormation validation of lab %s', (_, lab) => {
  it('finds no error or warning in its largest context variant', async () => {
    const sizes = await Promise.all(stackContexts(lab).map(async (context) => ({ context, resources: Object.keys((await synthLab(lab, context)).template.Resources).length })));
    const [largest] = sizes.sort((a, b) => b.resources - a.resources);
    expect(await validateBuiltin((app) => addStack(lab, app), largest.context)).toEqual({ violations: [], stderr: [] });
    expect(process.exitCode ?? 0).toBe(0);
  });
});

describe('aws-cdk-lib CloudFormation validation, as the helper runs it', () => {
  it('reports a warning and fails synth on an error (control)', async () => {
    const { violations, stderr } = await validateBuiltin((app) => {
      new CfnResource(new Stack(app, 'Broken'), 'Group', { type: 'AWS::Logs::LogGroup', properties: { RetentionInDays: 13 } });
    });
    expect(violations).toEqual([expect.objectContaining({ ruleName: 'W3030', severity: 'warning' })]);
    expect(stderr).toEqual([expect.stringContaining('WARNING RetentionInDays: 13 is not one of')]);
    await expect(
      validateBuiltin((app) => {
        new CfnResource(new Stack(app, 'Broken'), 'Group', { type: 'AWS::Logs::LogGroup', properties: { Retention: 14 } });
      }),
    ).rejects.toThrow(/ERROR Retention: Additional properties are not allowed/);
  });
});
