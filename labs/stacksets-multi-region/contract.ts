// Names shared by the stack, the checker and the solution. No CDK import: the checker loads this.
import { defaultSecondRegion, REGION_PATTERN, secondRegionContext, secondRegionFromOutputs } from '../../lib/second-region';

export const LAB_ID = 'stacksets-multi-region';

/** Stack outputs the checker and the solution read (values are CloudFormation output ids). */
export const Outputs = {
  administrationRoleArn: 'AdministrationRoleArn',
  executionRoleName: 'ExecutionRoleName',
  deployRegion: 'DeployRegion',
  secondRegion: 'SecondRegion',
} as const;

/** CDK context key that picks the second region (`-c doplab:stacksets-multi-region:secondRegion=eu-west-1`). */
export const SECOND_REGION_CONTEXT = secondRegionContext(LAB_ID);

export { defaultSecondRegion, REGION_PATTERN };

/** The second region of a deployed lab: its stack's SecondRegion output when known, else the default. */
export function secondRegionOf(deployRegion: string, outputs?: Readonly<Record<string, string>>): string {
  return secondRegionFromOutputs(deployRegion, Outputs.secondRegion, outputs);
}

/** The baseline template the learner rolls out (a file in this folder). */
export const BASELINE_FILE = 'baseline.yaml';

/** The baseline's retention parameter, its default and the value the learner rolls out (stated in the README). */
export const RETENTION_PARAMETER = 'RetentionInDays';
export const DEFAULT_RETENTION_DAYS = 7;
export const UPDATED_RETENTION_DAYS = 30;

/** The log group the baseline creates in every region (the template names it). */
export const BASELINE_LOG_GROUP_NAME = '/doplab/stacksets-multi-region/platform-audit';
/** The alarm the baseline creates in every region. */
export const BASELINE_ALARM_NAME = 'DopLab-Baseline-platform-audit-errors';
/** The metric the baseline's filter publishes. */
export const BASELINE_METRIC_NAMESPACE = 'DopLab/Baseline';
export const BASELINE_METRIC_NAME = 'AuditErrors';

/** Prefix of the stacks StackSets creates for its instances: `StackSet-<stack set name>-<uuid>`. */
export const STACK_INSTANCE_PREFIX = 'StackSet-';
