import { join } from 'node:path';
import { Fn, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { SharedInlineCleanup } from '../../lib/cdk/inline-resources';
import { DopLabStack } from '../../lib/cdk/lab-stack';
import { LAB_TAG_KEY } from '../../lib/contract';
import { S3SourcePipeline } from '../../lib/cdk/s3-source-pipeline';
import { SEEDED_SOURCE } from './app-source';
import { BUILD_PROJECT_NAME, LAB_ID, Outputs, PARAMETER_NAME, PARAMETER_VALUE, PIPELINE_NAME, SOURCE_KEY } from './contract';

/**
 * Starting state: Source (S3) → Build (CodeBuild, buildspec.yml from the source) → Deploy (S3), failing at run time for
 * three layered reasons: the build role cannot read the parameter the buildspec names, the buildspec asks for a
 * Node.js version that does not exist, and its artifact paths match nothing the build writes.
 */
export class BrokenPipelineStack extends DopLabStack {
  readonly statusPage: S3SourcePipeline;
  readonly banner: ssm.StringParameter;
  readonly cleanup: SharedInlineCleanup;

  constructor(scope: Construct) {
    super(scope, LAB_ID, 'doplab lab broken-pipeline: a release pipeline that fails at run time; find and fix why.');

    this.banner = new ssm.StringParameter(this, 'Banner', {
      parameterName: PARAMETER_NAME,
      stringValue: PARAMETER_VALUE,
      description: 'Banner of the status page (doplab lab broken-pipeline); the build reads it from Parameter Store.',
    });

    // No buildSpec: the project reads buildspec.yml from the source. The scenario's flaw: nothing grants the build
    // role ssm:GetParameters on the banner (aws-cdk-lib grants it only for PARAMETER_STORE project variables).
    this.statusPage = new S3SourcePipeline(this, 'StatusPage', {
      labId: LAB_ID,
      pipelineName: PIPELINE_NAME,
      sourceKey: SOURCE_KEY,
      sourceFiles: SEEDED_SOURCE,
      build: { projectName: BUILD_PROJECT_NAME },
    });

    const buildRole = this.buildRole();
    const roles = [buildRole, this.statusPage.pipeline.role as iam.Role];
    this.cleanup = new SharedInlineCleanup(this, 'Cleanup', {
      labId: LAB_ID,
      handlerFile: join(__dirname, 'cleanup.handler.js'),
      properties: {
        BucketNames: Fn.join(',', this.statusPage.buckets.map((b) => b.bucketName)),
        RoleNames: Fn.join(',', roles.map((r) => r.roleName)),
        // The roles' own inline policies: CloudFormation deletes them itself.
        KeepPolicies: roles.map((r) => defaultPolicyOf(r).policyName).join(','),
      },
      // Deleted first: the buckets must be empty and the roles free of the learner's policies before they go.
      guards: [this.statusPage.pipeline, this.statusPage.buildProject, ...roles, ...this.statusPage.buckets],
      statements: this.cleanupStatements(this.statusPage.buckets),
    });
    this.acknowledge();

    this.exportOutputs(Outputs, {
      pipelineName: this.statusPage.pipeline.pipelineName,
      sourceBucketName: this.statusPage.sourceBucket.bucketName,
      sourceKey: SOURCE_KEY,
      releaseBucketName: this.statusPage.releaseBucket.bucketName,
      buildProjectName: this.statusPage.buildProject.projectName,
      buildRoleArn: buildRole.roleArn,
      parameterName: this.banner.parameterName,
    });
  }

  private buildRole(): iam.Role {
    const role = this.statusPage.buildProject.role;
    if (!role) throw new Error('The build project has no role.');
    return role as iam.Role;
  }

  private cleanupStatements(buckets: readonly s3.Bucket[]): iam.PolicyStatement[] {
    return [
      // The lab roles by their lab tag, not their ARNs: the pipeline role waits for the seeded source, served by this
      // function, so a reference to it from the function's policy would be a cycle. The handler frees only RoleNames.
      new iam.PolicyStatement({
        actions: ['iam:ListAttachedRolePolicies', 'iam:DetachRolePolicy', 'iam:ListRolePolicies', 'iam:DeleteRolePolicy'],
        resources: [this.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: '*' })],
        conditions: { StringEquals: { [`aws:ResourceTag/${LAB_TAG_KEY}`]: LAB_ID } },
      }),
      new iam.PolicyStatement({ actions: ['s3:ListBucketVersions'], resources: buckets.map((b) => b.bucketArn) }),
      new iam.PolicyStatement({ actions: ['s3:DeleteObject', 's3:DeleteObjectVersion'], resources: buckets.map((b) => b.arnForObjects('*')) }),
    ];
  }

  /** The cdk-nag findings the scenario accepts, each with its reason. */
  private acknowledge(): void {
    const bucketId = (bucket: s3.Bucket) => this.getLogicalId(bucket.node.defaultChild as s3.CfnBucket);
    Validations.of(this.cleanup.handler.role).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role/*]',
        reason: "Only roles tagged for this lab (an IAM condition); the cleanup frees the lab's build and pipeline roles, named in its properties, of the learner's policies.",
      },
      ...this.statusPage.buckets.map((b) => ({
        id: `AwsSolutions-IAM5[Resource::<${bucketId(b)}.Arn>/*]`,
        reason: 'Emptying a lab bucket means deleting every object version in it, whatever the pipeline or the learner put there.',
      })),
    );
  }
}

function defaultPolicyOf(role: iam.Role): iam.Policy {
  const policy = role.node.tryFindChild('DefaultPolicy');
  if (!(policy instanceof iam.Policy)) throw new Error(`Role ${role.node.path} has no default policy.`);
  return policy;
}

/** Adds the lab's stack to a CDK app. */
export function addLabStack(app: Construct): BrokenPipelineStack {
  return new BrokenPipelineStack(app);
}
