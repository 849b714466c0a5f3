import { join } from 'node:path';
import { ArnFormat, Fn, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { SharedInlineCleanup } from '../../lib/cdk/inline-resources';
import { DopLabStack } from '../../lib/cdk/lab-stack';
import { S3SourcePipeline } from '../../lib/cdk/s3-source-pipeline';
import { SecureStringParameter } from '../../lib/cdk/secure-string-parameter';
import { LAB_TAG_KEY } from '../../lib/contract';
import { SEEDED_SOURCE } from './app-source';
import { API_KEY_PARAMETER, API_KEY_PREFIX, BUILD_PROJECT_NAME, LAB_ID, Outputs, PIPELINE_NAME, SOURCE_KEY } from './contract';

/** The Build stage packages the app: no tests run anywhere yet (that is the learner's task). */
export const BUILD_SPEC = {
  version: '0.2',
  phases: { build: { commands: ['mkdir -p dist', 'cp -R package.json src dist/'] } },
  artifacts: { 'base-directory': 'dist', files: ['**/*'] },
};

/** Starting state: Source (S3) → Build (CodeBuild) → Deploy (S3), no test anywhere; the API key in Parameter Store. */
export class PipelineTestStageStack extends DopLabStack {
  readonly orders: S3SourcePipeline;
  readonly apiKey: SecureStringParameter;
  readonly cleanup: SharedInlineCleanup;

  constructor(scope: Construct) {
    super(scope, LAB_ID, 'doplab lab pipeline-test-stage: a CodePipeline without tests; add a Test stage with CodeBuild reports and the API key from Parameter Store.');

    this.apiKey = new SecureStringParameter(this, 'ApiKey', {
      labId: LAB_ID,
      parameterName: API_KEY_PARAMETER,
      valuePrefix: API_KEY_PREFIX,
      description: 'API key of the orders-api (doplab lab pipeline-test-stage); the unit tests need it.',
    });

    this.orders = new S3SourcePipeline(this, 'Orders', {
      labId: LAB_ID,
      pipelineName: PIPELINE_NAME,
      sourceKey: SOURCE_KEY,
      sourceFiles: SEEDED_SOURCE,
      build: { projectName: BUILD_PROJECT_NAME, buildSpec: BUILD_SPEC },
    });
    // The pipeline runs the learner's test project too: its name is theirs to choose, in this account and region.
    const anyProject = this.formatArn({ service: 'codebuild', resource: 'project', resourceName: '*' });
    this.orders.pipeline.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['codebuild:StartBuild', 'codebuild:BatchGetBuilds'], resources: [anyProject] }),
    );

    this.cleanup = new SharedInlineCleanup(this, 'Cleanup', {
      labId: LAB_ID,
      handlerFile: join(__dirname, 'cleanup.handler.js'),
      properties: {
        PipelineName: PIPELINE_NAME,
        BuildProjectName: BUILD_PROJECT_NAME,
        BucketNames: Fn.join(',', this.orders.buckets.map((b) => b.bucketName)),
        RoleTag: `${LAB_TAG_KEY}=${LAB_ID}`,
      },
      // Deleted first: the learner's project is found through the pipeline, and the buckets must be empty.
      guards: [this.orders.pipeline, this.orders.buildProject, ...this.orders.buckets],
      statements: this.cleanupStatements(this.orders.buckets),
    });
    this.acknowledge();

    this.exportOutputs(Outputs, {
      pipelineName: this.orders.pipeline.pipelineName,
      sourceBucketName: this.orders.sourceBucket.bucketName,
      sourceKey: SOURCE_KEY,
      artifactBucketName: this.orders.artifactBucket.bucketName,
      buildProjectName: this.orders.buildProject.projectName,
      apiKeyParameterName: API_KEY_PARAMETER,
    });
  }

  private cleanupStatements(buckets: readonly s3.Bucket[]): iam.PolicyStatement[] {
    const arn = (service: string, resource: string, resourceName: string, arnFormat = ArnFormat.SLASH_RESOURCE_NAME) =>
      this.formatArn({ service, resource, resourceName, arnFormat });
    return [
      // From the name, not a reference: the pipeline depends on the seeded source, served by the same function and role.
      new iam.PolicyStatement({ actions: ['codepipeline:GetPipeline'], resources: [this.formatArn({ service: 'codepipeline', resource: PIPELINE_NAME })] }),
      new iam.PolicyStatement({
        actions: ['codebuild:BatchGetProjects', 'codebuild:ListBuildsForProject', 'codebuild:BatchGetBuilds', 'codebuild:DeleteProject'],
        resources: [arn('codebuild', 'project', '*')],
      }),
      new iam.PolicyStatement({ actions: ['codebuild:DeleteReportGroup'], resources: [arn('codebuild', 'report-group', '*')] }),
      new iam.PolicyStatement({ actions: ['logs:DeleteLogGroup'], resources: [arn('logs', 'log-group', '/aws/codebuild/*', ArnFormat.COLON_RESOURCE_NAME)] }),
      // The learner's test role, only when tagged for the lab.
      new iam.PolicyStatement({
        actions: ['iam:GetRole', 'iam:ListRolePolicies', 'iam:DeleteRolePolicy', 'iam:ListAttachedRolePolicies', 'iam:DetachRolePolicy', 'iam:DeleteRole'],
        resources: [this.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: '*' })],
        conditions: { StringEquals: { [`aws:ResourceTag/${LAB_TAG_KEY}`]: LAB_ID } },
      }),
      new iam.PolicyStatement({ actions: ['s3:ListBucket', 's3:ListBucketVersions'], resources: buckets.map((b) => b.bucketArn) }),
      new iam.PolicyStatement({ actions: ['s3:DeleteObject', 's3:DeleteObjectVersion'], resources: buckets.map((b) => b.arnForObjects('*')) }),
    ];
  }

  /** The cdk-nag findings the scenario accepts, each with its reason. */
  private acknowledge(): void {
    const bucketId = (bucket: s3.Bucket) => this.getLogicalId(bucket.node.defaultChild as s3.CfnBucket);
    Validations.of(this.orders.pipeline.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:codebuild:<AWS::Region>:<AWS::AccountId>:project/*]',
      reason: "The pipeline must run the learner's test project, whose name the learner chooses; builds in this account and region only.",
    });
    Validations.of(this.cleanup.handler.role).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:codebuild:<AWS::Region>:<AWS::AccountId>:project/*]',
        reason: "The cleanup deletes the learner's test project, named by the learner; it only ever sends the names of projects the lab pipeline runs.",
      },
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:codebuild:<AWS::Region>:<AWS::AccountId>:report-group/*]',
        reason: "Report groups are named by the learner's buildspec; the cleanup deletes only those its project's builds reported to.",
      },
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/codebuild/*]',
        reason: "CodeBuild logs a project to /aws/codebuild/<project>; the cleanup deletes only the log groups of the learner's projects it deleted.",
      },
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role/*]',
        reason: "The learner names the test project's role; the cleanup may delete only roles tagged for this lab (an IAM condition), and only the test project's.",
      },
      ...this.orders.buckets.map((b) => ({
        id: `AwsSolutions-IAM5[Resource::<${bucketId(b)}.Arn>/*]`,
        reason: 'Emptying a lab bucket means deleting every object version in it, whatever the pipeline or the learner put there.',
      })),
    );
  }
}

/** Adds the lab's stack to a CDK app. */
export function addLabStack(app: Construct): PipelineTestStageStack {
  return new PipelineTestStageStack(app);
}

