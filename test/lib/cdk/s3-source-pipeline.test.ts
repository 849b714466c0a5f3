import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DopLabStack } from '../../../lib/cdk/lab-stack';
import { S3SourcePipeline } from '../../../lib/cdk/s3-source-pipeline';
import { costGate, type CfnTemplate } from '../../../lib/cost-gate';

function build(props: Partial<ConstructorParameters<typeof S3SourcePipeline>[2]> = {}) {
  const app = new App();
  const stack = new DopLabStack(app, 'broken-pipeline', 'test stack');
  const pipeline = new S3SourcePipeline(stack, 'Shop', {
    labId: 'broken-pipeline',
    pipelineName: 'doplab-shop',
    sourceFiles: { 'index.js': 'module.exports = 1;\n' },
    build: { projectName: 'doplab-shop-build', buildSpec: { version: '0.2', phases: { build: { commands: ['npm test'] } } }, environment: { STAGE: 'prod' } },
    ...props,
  });
  return { app, stack, pipeline, template: Template.fromStack(stack) };
}

describe('S3SourcePipeline', () => {
  it('takes the source key, the build project and its plain-text environment from its properties', () => {
    const { template } = build({ sourceKey: 'app.zip' });
    template.hasResourceProperties('AWS::CodeBuild::Project', {
      Name: 'doplab-shop-build',
      Environment: Match.objectLike({ ComputeType: 'BUILD_GENERAL1_SMALL', EnvironmentVariables: [{ Name: 'STAGE', Type: 'PLAINTEXT', Value: 'prod' }] }),
    });
    template.hasResourceProperties('AWS::Events::Rule', { EventPattern: Match.objectLike({ detail: Match.objectLike({ object: { key: ['app.zip'] } }) }) });
    template.hasResourceProperties('Custom::DopLabSeededSource', { Key: 'app.zip', Files: '{"index.js":"module.exports = 1;\\n"}' });
    template.hasResourceProperties('AWS::CodePipeline::Pipeline', { Name: 'doplab-shop', PipelineType: 'V2', Stages: Match.arrayWith([Match.objectLike({ Name: 'Source', Actions: [Match.objectLike({ Configuration: Match.objectLike({ S3ObjectKey: 'app.zip' }) })] })]) });
  });

  it('defaults the source key to source.zip, lists its three buckets for the cleanup, and passes the cost gate', () => {
    const { app, stack, pipeline } = build();
    expect(pipeline.sourceKey).toBe('source.zip');
    expect(pipeline.buckets).toEqual([pipeline.sourceBucket, pipeline.artifactBucket, pipeline.releaseBucket]);
    expect(costGate(app.synth().getStackByName(stack.stackName).template as CfnTemplate)).toEqual([]);
  });

  it('acknowledges exactly what cdk-nag finds in it (its own grants and the KMS choice), nothing left over', () => {
    const { stack } = build();
    expect(new AwsSolutionsChecks().validateScope(stack).violations).toEqual([]);
  });
});
