import { CloudFormationClient, DescribeStackEventsCommand, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import type { AwsSession } from '../aws/clients';
import { awsErrorMessage, awsErrorName } from '../aws/errors';
import { BASE_STACK_NAME, EXECUTION_ROLE_OUTPUT } from '../cdk/base-names';

const LAB_STACK = /^DopLab-(.+)$/;

/** The lab id of a doplab lab stack name (`DopLab-<id>`), or undefined for DopLab-Base and foreign stacks. */
export function labIdOfStack(stackName: string): string | undefined {
  if (stackName === BASE_STACK_NAME) return undefined;
  return LAB_STACK.exec(stackName)?.[1];
}

/** Every live doplab stack (DopLab-*, the base included) in a region, from DescribeStacks pages. */
export async function listDoplabStacks(session: AwsSession, region: string): Promise<Stack[]> {
  const cfn = session.readOnlyClient(CloudFormationClient, region);
  const stacks: Stack[] = [];
  let token: string | undefined;
  do {
    const page = await cfn.send(new DescribeStacksCommand({ NextToken: token }));
    for (const s of page.Stacks ?? []) {
      if (s.StackName && LAB_STACK.test(s.StackName) && s.StackStatus !== 'DELETE_COMPLETE') stacks.push(s);
    }
    token = page.NextToken;
  } while (token);
  return stacks;
}

/** The execution role ARN DopLab-Base exports, or undefined when the base stack is missing or not ready. */
export async function baseExecutionRole(session: AwsSession, region: string): Promise<string | undefined> {
  let base: Stack | undefined;
  try {
    base = (await session.readOnlyClient(CloudFormationClient, region).send(new DescribeStacksCommand({ StackName: BASE_STACK_NAME }))).Stacks?.[0];
  } catch (error) {
    if (awsErrorName(error) === 'ValidationError' && /does not exist/.test(awsErrorMessage(error))) return undefined;
    throw error;
  }
  // UPDATE_ROLLBACK_COMPLETE still has a working role (the previous template's).
  if (!base || !/^(CREATE_COMPLETE|UPDATE_COMPLETE|UPDATE_ROLLBACK_COMPLETE|IMPORT_COMPLETE)$/.test(base.StackStatus ?? '')) return undefined;
  return base.Outputs?.find((o) => o.OutputKey === EXECUTION_ROLE_OUTPUT)?.OutputValue;
}

/** One resource CloudFormation could not delete (or create), with its reason. */
export interface ResourceFailure {
  readonly logicalId: string;
  readonly type: string;
  readonly reason: string;
}

/** `CleanupD4E4842E (Custom::DopLabCleanup): reason`. */
export function describeFailure(f: ResourceFailure): string {
  return `${f.logicalId} (${f.type}): ${f.reason}`;
}

/**
 * Why the stack's last deletion failed: its resources' DELETE_FAILED events since the stack's own latest
 * DELETE_IN_PROGRESS event, oldest first (the first is usually the cause), from the newest page of events.
 */
export async function lastDeletionFailures(cfn: CloudFormationClient, stackId: string): Promise<ResourceFailure[]> {
  const events = (await cfn.send(new DescribeStackEventsCommand({ StackName: stackId }))).StackEvents ?? [];
  const failures: ResourceFailure[] = [];
  // Newest first: stop at the start of the last deletion attempt.
  for (const e of events) {
    if (e.ResourceType === 'AWS::CloudFormation::Stack' && e.ResourceStatus === 'DELETE_IN_PROGRESS') break;
    if (e.ResourceStatus === 'DELETE_FAILED' && e.ResourceType !== 'AWS::CloudFormation::Stack') {
      failures.unshift({ logicalId: e.LogicalResourceId ?? '?', type: e.ResourceType ?? '?', reason: e.ResourceStatusReason ?? 'no reason given' });
    }
  }
  return failures;
}
