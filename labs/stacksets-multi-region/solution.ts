// Reference solution of the stacksets-multi-region lab, through the SDK: every StackSet call is made in the deploy
// region (the administrator region), and each operation is awaited before the next, as StackSets runs one at a time.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CloudFormationClient,
  CreateStackInstancesCommand,
  CreateStackSetCommand,
  DescribeStackSetCommand,
  DescribeStackSetOperationCommand,
  DetectStackSetDriftCommand,
  ListStackInstancesCommand,
  UpdateStackSetCommand,
  type StackSetOperationPreferences,
} from '@aws-sdk/client-cloudformation';
import { awsErrorName } from '../../lib/aws/errors';
import { LAB_TAG_KEY } from '../../lib/contract';
import { DoplabError } from '../../lib/errors';
import type { Solution } from '../../lib/lab';
import { BASELINE_FILE, DEFAULT_RETENTION_DAYS, LAB_ID, Outputs, RETENTION_PARAMETER, UPDATED_RETENTION_DAYS } from './contract';

/** The StackSet the solution creates. */
export const SOLUTION_STACK_SET_NAME = 'doplab-platform-baseline';

/** Both regions at once, one account at a time in each; no failure tolerated: a baseline that fails anywhere stops the rollout. */
export const SOLUTION_PREFERENCES: StackSetOperationPreferences = {
  RegionConcurrencyType: 'PARALLEL',
  FailureToleranceCount: 0,
  MaxConcurrentCount: 1,
};

/** How the solution waits for StackSet operations. */
export interface WaitOptions {
  readonly pollMs: number;
  readonly timeoutMs: number;
}

/** The solution with its waiting made explicit (tests poll without delay). */
export function makeSolve(wait: WaitOptions): Solution<typeof Outputs> {
  return async (ctx) => {
    const cfn = ctx.client(CloudFormationClient);
    const StackSetName = SOLUTION_STACK_SET_NAME;
    const roles = { AdministrationRoleARN: ctx.outputs.administrationRoleArn, ExecutionRoleName: ctx.outputs.executionRoleName };
    const regions = [ctx.outputs.deployRegion, ctx.outputs.secondRegion];

    const finish = async (operationId: string | undefined, what: string) => {
      if (!operationId) throw new DoplabError('AWS_ERROR', 'environment', `${what} on StackSet ${StackSetName} returned no operation id.`);
      const started = Date.now();
      for (;;) {
        const { StackSetOperation: op } = await cfn.send(new DescribeStackSetOperationCommand({ StackSetName, OperationId: operationId }));
        if (op?.Status === 'SUCCEEDED') return;
        if (op?.Status !== 'RUNNING' && op?.Status !== 'QUEUED' && op?.Status !== 'STOPPING') {
          throw new DoplabError('AWS_ERROR', 'environment', `${what}: StackSet operation ${operationId} ended ${op?.Status}${op?.StatusReason ? `: ${op.StatusReason}` : ''}.`, {
            hint: `Look at the stack instances of ${StackSetName} (their status reasons) and the stack events in each region, then run doplab solve ${LAB_ID} again.`,
          });
        }
        if (Date.now() - started > wait.timeoutMs) {
          throw new DoplabError('TIMEOUT', 'environment', `${what}: StackSet operation ${operationId} is still ${op.Status} after ${Math.round(wait.timeoutMs / 60_000)} min.`, {
            hint: `Wait for it in the CloudFormation console, then run doplab solve ${LAB_ID} again.`,
          });
        }
        ctx.log(`  waiting for operation ${operationId} (${op.Status})`);
        await new Promise((resolve) => setTimeout(resolve, wait.pollMs));
      }
    };

    if (await exists(cfn, StackSetName)) {
      ctx.log(`StackSet ${StackSetName} exists; reusing it`);
    } else {
      ctx.log(`StackSet ${StackSetName} from ${BASELINE_FILE}, self-managed, roles ${roles.AdministrationRoleARN} / ${roles.ExecutionRoleName}`);
      await cfn.send(
        new CreateStackSetCommand({
          StackSetName,
          Description: `Platform baseline of doplab lab ${LAB_ID}.`,
          TemplateBody: readFileSync(join(__dirname, BASELINE_FILE), 'utf8'),
          Parameters: [{ ParameterKey: RETENTION_PARAMETER, ParameterValue: String(DEFAULT_RETENTION_DAYS) }],
          PermissionModel: 'SELF_MANAGED',
          ...roles,
          // StackSet tags propagate to the stacks of its instances and to their resources.
          Tags: [{ Key: LAB_TAG_KEY, Value: LAB_ID }],
        }),
      );
    }

    const instances = (await cfn.send(new ListStackInstancesCommand({ StackSetName, StackInstanceAccount: ctx.account }))).Summaries ?? [];
    const missing = regions.filter((r) => !instances.some((i) => i.Region === r));
    if (missing.length > 0) {
      ctx.log(`Stack instances in ${missing.join(', ')} (in parallel)`);
      const { OperationId } = await cfn.send(
        new CreateStackInstancesCommand({ StackSetName, Accounts: [ctx.account], Regions: missing, OperationPreferences: SOLUTION_PREFERENCES }),
      );
      await finish(OperationId, 'Creating the stack instances');
    }

    ctx.log(`${RETENTION_PARAMETER} = ${UPDATED_RETENTION_DAYS}, rolled out to every instance`);
    // A StackSet created with custom roles must be given them again on every update.
    const { OperationId: updateId } = await cfn.send(
      new UpdateStackSetCommand({
        StackSetName,
        UsePreviousTemplate: true,
        Parameters: [{ ParameterKey: RETENTION_PARAMETER, ParameterValue: String(UPDATED_RETENTION_DAYS) }],
        ...roles,
        Tags: [{ Key: LAB_TAG_KEY, Value: LAB_ID }],
        OperationPreferences: SOLUTION_PREFERENCES,
      }),
    );
    await finish(updateId, 'Updating the StackSet');

    ctx.log('Drift detection on the StackSet');
    const { OperationId: driftId } = await cfn.send(new DetectStackSetDriftCommand({ StackSetName, OperationPreferences: SOLUTION_PREFERENCES }));
    await finish(driftId, 'Detecting drift');
  };
}

async function exists(cfn: CloudFormationClient, StackSetName: string): Promise<boolean> {
  try {
    const { StackSet } = await cfn.send(new DescribeStackSetCommand({ StackSetName }));
    return StackSet?.Status === 'ACTIVE';
  } catch (error) {
    if (awsErrorName(error) === 'StackSetNotFoundException') return false;
    throw error;
  }
}

export const solve: Solution<typeof Outputs> = makeSolve({ pollMs: 10_000, timeoutMs: 20 * 60_000 });
