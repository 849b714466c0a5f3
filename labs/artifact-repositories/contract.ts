// Names shared by the stack, the checker, the cleanup, the solution and the leftover audit. No CDK import: the checker loads this.

export const LAB_ID = 'artifact-repositories';

/** Stack outputs the checker and the solution read (values are CloudFormation output ids). */
export const Outputs = {
  /** The ECR repository, `doplab/orders-api`. */
  repositoryName: 'RepositoryName',
  repositoryArn: 'RepositoryArn',
  /** The CI role that alone may pull through the repository policy. */
  ciRoleArn: 'CiRoleArn',
  /** The CodeArtifact domain and its repository without upstream. */
  domainName: 'DomainName',
  npmRepositoryName: 'NpmRepositoryName',
} as const;

export const REPOSITORY_NAME = 'doplab/orders-api';
export const CI_ROLE_NAME = `DopLab-${LAB_ID}-Ci`;
export const DOMAIN_NAME = `doplab-${LAB_ID}`;
export const NPM_REPOSITORY_NAME = 'orders-npm';
/** CodeArtifact's external connection to the public npm registry. */
export const NPM_EXTERNAL_CONNECTION = 'public:npmjs';

/**
 * Where the in-stack cleanup records the account's registry scanning configuration at deploy (JSON), to restore
 * exactly that at delete: the configuration is per account and Region, and PutRegistryScanningConfiguration
 * replaces the whole rule list.
 */
export const SCANNING_RECORD_PARAMETER = `/doplab/${LAB_ID}/registry-scanning-at-deploy`;
/** The parameter's value until the cleanup has recorded the configuration. */
export const NOT_RECORDED = 'not recorded';

/** What the CI role pulls with (a repository policy cannot grant ecr:GetAuthorizationToken: it is registry-wide). */
export const PULL_ACTIONS = ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'] as const;
/** What a push needs on the repository. */
export const PUSH_ACTIONS = ['ecr:PutImage', 'ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload'] as const;

/** The release tags the lifecycle policy keeps (the 10 most recent) and the untagged images it expires after 1 day. */
export const RELEASE_TAG_PREFIX = 'release-';
export const RELEASES_KEPT = 10;
export const UNTAGGED_DAYS = 1;
