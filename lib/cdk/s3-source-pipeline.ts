import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { SeededSource } from './seeded-source';

/** Properties of an S3SourcePipeline. */
export interface S3SourcePipelineProps {
  /** The lab the pipeline belongs to. */
  readonly labId: string;
  readonly pipelineName: string;
  /** The source object's key in the source bucket. @default source.zip */
  readonly sourceKey?: string;
  /** The files the stack seeds the source zip with (path → UTF-8 content; small, and secret-free). */
  readonly sourceFiles: Readonly<Record<string, string>>;
  /** The Build stage's CodeBuild project. */
  readonly build: {
    readonly projectName: string;
    /** The project's buildspec, inline. @default none: CodeBuild reads buildspec.yml from the source */
    readonly buildSpec?: Record<string, unknown>;
    /** Plain-text environment variables of the project. @default none */
    readonly environment?: Readonly<Record<string, string>>;
  };
}

/** The buckets' common settings: private, TLS only, SSE-S3, gone with the stack (the lab's cleanup empties them). */
function labBucket(scope: Construct, id: string, versioned: boolean): s3.Bucket {
  return new s3.Bucket(scope, id, {
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    versioned,
    removalPolicy: RemovalPolicy.DESTROY,
  });
}

/**
 * A CodePipeline V2 fed by a zip in a versioned S3 bucket: Source (S3) → Build (CodeBuild, general1.small) →
 * Deploy (S3, extracted into a release bucket). The bucket sends its events to EventBridge and a rule on Object
 * Created starts the pipeline (no CloudTrail trail, no polling). The source zip is written at deploy time by a
 * SeededSource, before the pipeline exists, so the pipeline's first execution finds it. No KMS key
 * (`crossAccountKeys: false`); artifacts in an explicit bucket. The buckets are not emptied here: list them in
 * the lab's cleanup (`buckets`).
 */
export class S3SourcePipeline extends Construct {
  readonly sourceBucket: s3.Bucket;
  readonly artifactBucket: s3.Bucket;
  readonly releaseBucket: s3.Bucket;
  readonly sourceKey: string;
  readonly seededSource: SeededSource;
  readonly buildProject: codebuild.PipelineProject;
  readonly buildLogGroup: logs.LogGroup;
  readonly pipeline: codepipeline.Pipeline;
  readonly trigger: events.Rule;
  /** Every bucket the pipeline writes to, for the lab's cleanup to empty. */
  readonly buckets: readonly s3.Bucket[];

  constructor(scope: Construct, id: string, props: S3SourcePipelineProps) {
    super(scope, id);
    this.sourceKey = props.sourceKey ?? 'source.zip';
    this.sourceBucket = labBucket(this, 'SourceBucket', true);
    // EventBridge notifications set on the bucket itself: CDK's eventBridgeEnabled adds a notifications function.
    (this.sourceBucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };
    this.artifactBucket = labBucket(this, 'ArtifactBucket', false);
    this.releaseBucket = labBucket(this, 'ReleaseBucket', false);
    this.buckets = [this.sourceBucket, this.artifactBucket, this.releaseBucket];
    for (const bucket of this.buckets) {
      Validations.of(bucket).acknowledge({
        id: 'AwsSolutions-S1',
        reason: 'A lab bucket that lives an hour; server access logs would need a log bucket that outlives the lab, for no lesson.',
      });
    }

    this.seededSource = new SeededSource(this, 'Seed', { labId: props.labId, bucket: this.sourceBucket, key: this.sourceKey, files: props.sourceFiles });

    this.buildLogGroup = new logs.LogGroup(this, 'BuildLogs', {
      logGroupName: `/aws/codebuild/${props.build.projectName}`,
      retention: logs.RetentionDays.ONE_WEEK,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.buildProject = new codebuild.PipelineProject(this, 'BuildProject', {
      projectName: props.build.projectName,
      description: `Build stage of the ${props.pipelineName} pipeline (doplab lab ${props.labId}).`,
      environment: {
        buildImage: codebuild.LinuxBuildImage.AMAZON_LINUX_2023_5,
        computeType: codebuild.ComputeType.SMALL,
        environmentVariables: Object.fromEntries(Object.entries(props.build.environment ?? {}).map(([name, value]) => [name, { value }])),
      },
      ...(props.build.buildSpec ? { buildSpec: codebuild.BuildSpec.fromObject(props.build.buildSpec) } : {}),
      timeout: Duration.minutes(10),
      queuedTimeout: Duration.minutes(30),
      logging: { cloudWatch: { logGroup: this.buildLogGroup } },
    });

    const source = new codepipeline.Artifact('Source');
    const built = new codepipeline.Artifact('Built');
    this.pipeline = new codepipeline.Pipeline(this, 'Pipeline', {
      pipelineName: props.pipelineName,
      pipelineType: codepipeline.PipelineType.V2,
      crossAccountKeys: false,
      artifactBucket: this.artifactBucket,
      usePipelineRoleForActions: true,
      restartExecutionOnUpdate: false,
      stages: [
        {
          stageName: 'Source',
          actions: [
            new actions.S3SourceAction({
              actionName: 'Source',
              bucket: this.sourceBucket,
              bucketKey: this.sourceKey,
              output: source,
              trigger: actions.S3Trigger.NONE,
            }),
          ],
        },
        { stageName: 'Build', actions: [new actions.CodeBuildAction({ actionName: 'Build', project: this.buildProject, input: source, outputs: [built] })] },
        { stageName: 'Deploy', actions: [new actions.S3DeployAction({ actionName: 'Deploy', bucket: this.releaseBucket, input: built, extract: true })] },
      ],
    });
    // The first execution, started when the pipeline is created, must find the source.
    this.pipeline.node.addDependency(this.seededSource.resource);

    this.acknowledgeGrants();

    this.trigger = new events.Rule(this, 'SourceChanged', {
      description: `Starts ${props.pipelineName} when a new version of s3://<source bucket>/${this.sourceKey} is written.`,
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: { bucket: { name: [this.sourceBucket.bucketName] }, object: { key: [this.sourceKey] } },
      },
      targets: [new targets.CodePipeline(this.pipeline)],
    });
  }

  /** aws-cdk-lib's own grants to the pipeline and the build, and the one cost choice (no KMS key), each with its reason. */
  private acknowledgeGrants(): void {
    const logicalId = (bucket: s3.Bucket) => Stack.of(this).getLogicalId(bucket.node.defaultChild as s3.CfnBucket);
    const projectId = Stack.of(this).getLogicalId(this.buildProject.node.defaultChild as codebuild.CfnProject);
    const s3Wildcards = ['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*'].map((action) => ({
      id: `AwsSolutions-IAM5[Action::${action}]`,
      reason: "aws-cdk-lib's grant for pipeline artifacts (Bucket.grantReadWrite): the action groups CodePipeline and CodeBuild use on the lab's own buckets only.",
    }));
    const artifacts = {
      id: `AwsSolutions-IAM5[Resource::<${logicalId(this.artifactBucket)}.Arn>/*]`,
      reason: 'CodePipeline names artifact objects itself (<pipeline>/<artifact>/<random>); the grant is on the lab\'s artifact bucket only.',
    };
    Validations.of(this.pipeline.role).acknowledge(...s3Wildcards, artifacts, {
      id: `AwsSolutions-IAM5[Resource::<${logicalId(this.releaseBucket)}.Arn>/*]`,
      reason: 'The Deploy stage extracts the build output into the release bucket under the names of the files in it.',
    });
    Validations.of(this.buildProject).acknowledge(
      ...s3Wildcards,
      artifacts,
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/codebuild/<${projectId}>:*]`,
        reason: "aws-cdk-lib's default grant to write the project's log streams (names chosen by CodeBuild per build) in /aws/codebuild/<project>.",
      },
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:codebuild:<AWS::Region>:<AWS::AccountId>:report-group/<${projectId}>-*]`,
        reason: "aws-cdk-lib's default grant for the project's own test report groups, named <project>-<name> by CodeBuild.",
      },
      {
        id: 'AwsSolutions-CB4',
        reason: 'Build artifacts are encrypted with the AWS-managed S3 key; a customer-managed KMS key would cost $1 a month for no lesson.',
      },
    );
  }
}
