// Names shared by the stack, the checker, the cleanup and the solution. No CDK import: the checker loads this.

export const LAB_ID = 'broken-pipeline';

/** Stack outputs the checker and the solution read (values are CloudFormation output ids). */
export const Outputs = {
  pipelineName: 'PipelineName',
  /** The versioned bucket holding the pipeline's source, and the object key in it. */
  sourceBucketName: 'SourceBucketName',
  sourceKey: 'SourceKey',
  /** The bucket the Deploy stage extracts the release into. */
  releaseBucketName: 'ReleaseBucketName',
  buildProjectName: 'BuildProjectName',
  /** The build project's service role (the one that cannot read the parameter). */
  buildRoleArn: 'BuildRoleArn',
  /** The plain String parameter the buildspec reads. */
  parameterName: 'ParameterName',
} as const;

/** The pipeline: CodePipeline V2, Source (S3) → Build (CodeBuild) → Deploy (S3). */
export const PIPELINE_NAME = 'doplab-status-page';
export const BUILD_PROJECT_NAME = 'doplab-status-page-build';
export const SOURCE_KEY = 'source.zip';
/** The stages as deployed, in order; the learner must keep them. */
export const STAGES = ['Source', 'Build', 'Deploy'] as const;

/** The plain String parameter the buildspec reads (env parameter-store): the banner shown on the status page. */
export const PARAMETER_NAME = `/doplab/${LAB_ID}/banner`;
export const PARAMETER_VALUE = 'All systems operational';

/** The marker only the build writes, at the root of the release: JSON with the build id that made it. */
export const MARKER_KEY = 'build-info.json';

/** The image of the lab's build project. */
export const BUILD_IMAGE = 'aws/codebuild/amazonlinux-x86_64-standard:5.0';

/**
 * Runtime versions CodeBuild preinstalls, per image (runtime → versions): "Available runtimes" in the CodeBuild User
 * Guide, https://docs.aws.amazon.com/codebuild/latest/userguide/available-runtimes.html (Linux image runtimes), and
 * the image's own runtimes.yml (aws/aws-codebuild-docker-images, al/x86_64/standard/5.0/runtimes.yml).
 */
export const PREINSTALLED_RUNTIMES: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  'aws/codebuild/amazonlinux-x86_64-standard:5.0': { nodejs: ['18', '20', '22', '24'] },
};

/**
 * Node.js release lines CodeBuild can install on demand on Ubuntu and Amazon Linux images ("Custom runtime versions":
 * nodejs `<major>`, `<major>.<minor>`, `<major>.<minor>.<patch>`; https://docs.aws.amazon.com/codebuild/latest/userguide/runtime-versions.html):
 * every major release of Node.js from 4 to 26 (the Node.js release schedule, April 2026).
 */
export const NODEJS_RELEASED_MAJORS = { first: 4, last: 26 } as const;

/** The seeded buildspec's runtime: a typo for 22 that no Node.js release has, so CodeBuild cannot install it. */
export const BROKEN_NODEJS_VERSION = '222';
