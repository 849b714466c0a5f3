// Names shared by the stack, the checker, the solution and the cleanup. No CDK import: the checker loads this.

export const LAB_ID = 'ssm-fleet-compliance';

/** Stack outputs the checker and the solution read (values are CloudFormation output ids). */
export const Outputs = {
  /** The fleet's instance ids, comma-separated, the drifted one first. */
  instanceIds: 'InstanceIds',
  /** The instance whose user data stopped and disabled chronyd. */
  driftedInstanceId: 'DriftedInstanceId',
} as const;

/** The tag every fleet instance carries (stated in the README); the association must target it. */
export const FLEET_TAG = { key: 'doplab:fleet', value: 'orders' } as const;

/** The patch group the learner registers a baseline for, and the tag keys Patch Manager reads it from. */
export const PATCH_GROUP = 'orders';
export const PATCH_GROUP_TAG_KEYS = ['PatchGroup', 'Patch Group'] as const;

/** The shortest interval State Manager allows, which the association must use (or an equivalent cron). */
export const ASSOCIATION_RATE = 'rate(30 minutes)';

/** What the custom baseline must approve: its operating system, classification, severities and delay. */
export const BASELINE = {
  operatingSystem: 'AMAZON_LINUX_2023',
  classification: 'Security',
  severities: ['Critical', 'Important'],
  approveAfterDays: 7,
} as const;

/** The AWS-owned runbook that scans (Operation Scan) or installs patches. */
export const PATCH_DOCUMENT = 'AWS-RunPatchBaseline';

/** The fleet's instance type (arm64, burstable). */
export const INSTANCE_TYPE = 't4g.micro';
