// Names shared by the stack, the checker, the preflight and the solution. No CDK import: the checker loads this.

export const LAB_ID = 'config-remediation';

/** Stack outputs the checker and the solution read (values are CloudFormation output ids). */
export const Outputs = {
  configRuleName: 'ConfigRuleName',
  /** The deliberately non-compliant buckets, comma-separated. */
  targetBucketNames: 'TargetBucketNames',
  /** `lab` when the stack created the configuration recorder, `account` when it reuses the account's. */
  recorderOwner: 'RecorderOwner',
} as const;

/**
 * CDK context key: `true` makes the stack create its own configuration recorder, delivery channel and
 * delivery bucket. The preflight sets it; plain `cdk deploy` defaults to `false` (reuse), which can only
 * fail (no recorder: the rule cannot be created) and never touches a recorder the lab does not own.
 */
export const CONTEXT_CREATE_RECORDER = `doplab:${LAB_ID}:createRecorder`;

/** Rules the learner adds (optional task) are named with this prefix (stated in the README); the cleanup deletes them. */
export const LEARNER_RULE_PREFIX = `doplab-${LAB_ID}-`;

/** The lab's AWS Config rule (managed rule S3_BUCKET_VERSIONING_ENABLED). */
export const CONFIG_RULE_NAME = 'doplab-s3-bucket-versioning-enabled';
export const MANAGED_RULE_IDENTIFIER = 'S3_BUCKET_VERSIONING_ENABLED';
export const RESOURCE_TYPE = 'AWS::S3::Bucket';

/**
 * The rule's scope: buckets carrying this tag. A tag of its own, not doplab:lab, so the delivery bucket
 * (tagged doplab:lab like every lab resource) is not evaluated.
 */
export const SCOPE_TAG = { key: 'doplab:compliance', value: 'versioning-required' } as const;

/** Names of what the stack creates when it owns the recorder (never "default": that name is the account's). */
export const RECORDER_NAME = `doplab-${LAB_ID}`;
export const DELIVERY_CHANNEL_NAME = `doplab-${LAB_ID}`;

/** The remediation the learner attaches (stated in the README). */
export const REMEDIATION = {
  /** AWS-owned SSM Automation runbook. */
  documentName: 'AWS-ConfigureS3BucketVersioning',
  /** The runbook parameter that takes the non-compliant bucket: mapped from RESOURCE_ID. */
  resourceParameter: 'BucketName',
  /** The runbook parameter that takes the automation role ARN. */
  roleParameter: 'AutomationAssumeRole',
  /** Optional runbook parameter: Enabled (default) or Suspended. */
  stateParameter: 'VersioningState',
  /** The runbook's API calls the automation role must be allowed on each bucket. */
  requiredActions: ['s3:PutBucketVersioning'] as readonly string[],
  /** The service that assumes the automation role. */
  servicePrincipal: 'ssm.amazonaws.com',
} as const;

/** Config's default number of automatic attempts when MaximumAutomaticAttempts is not set. */
export const DEFAULT_AUTOMATIC_ATTEMPTS = 5;
