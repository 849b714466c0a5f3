// Names shared by the stack, the checker, the cleanup and the solution. No CDK import: the checker loads this.

export const LAB_ID = 'pipeline-test-stage';

/** Stack outputs the checker and the solution read (values are CloudFormation output ids). */
export const Outputs = {
  pipelineName: 'PipelineName',
  /** The versioned bucket holding the pipeline's source, and the object key in it. */
  sourceBucketName: 'SourceBucketName',
  sourceKey: 'SourceKey',
  /** The bucket the pipeline keeps its artifacts in (the test project's role reads its input there). */
  artifactBucketName: 'ArtifactBucketName',
  /** The lab's own CodeBuild project: the Build stage, which packages the app. */
  buildProjectName: 'BuildProjectName',
  /** The SecureString parameter holding the API key the tests need. */
  apiKeyParameterName: 'ApiKeyParameterName',
} as const;

/** The pipeline: CodePipeline V2, Source (S3) → Build (CodeBuild) → Deploy (S3). */
export const PIPELINE_NAME = 'doplab-orders-api';
export const BUILD_PROJECT_NAME = 'doplab-orders-api-build';
export const SOURCE_KEY = 'source.zip';
export const STAGES = { source: 'Source', build: 'Build', deploy: 'Deploy' } as const;

/** The API key: a SecureString under the default aws/ssm key, created by the stack's custom resource. */
export const API_KEY_PARAMETER = `/doplab/${LAB_ID}/api-key`;
/** The environment variable the seeded tests read the key from. */
export const API_KEY_VARIABLE = 'API_KEY';
/** What a key looks like (`ordk_` and 40 hex digits): how the checker recognises one pasted as plain text, without reading it. */
export const API_KEY_PATTERN = /ordk_[0-9a-f]{40}/;
export const API_KEY_PREFIX = 'ordk_';

/** The seeded app's test cases (node:test); one fails until the learner fixes the pricing bug. */
export const SEEDED_TEST_CASES = 7;
/** The test that fails on purpose in the seeded source. */
export const FAILING_TEST = 'applies a percentage discount to the order total';
