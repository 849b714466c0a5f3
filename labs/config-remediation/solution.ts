// Reference solution of the config-remediation lab, through the SDK: a least-privilege automation role, an automatic
// remediation on the rule, a re-evaluation, then a wait until AWS Config reports every lab bucket COMPLIANT.
import {
  ConfigServiceClient,
  GetComplianceDetailsByConfigRuleCommand,
  PutRemediationConfigurationsCommand,
  StartConfigRulesEvaluationCommand,
  StartRemediationExecutionCommand,
} from '@aws-sdk/client-config-service';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { awsErrorName } from '../../lib/aws/errors';
import { LAB_TAG_KEY } from '../../lib/contract';
import { partitionOf } from '../../lib/sdk-facts';
import { DoplabError } from '../../lib/errors';
import type { Solution, SolutionContext } from '../../lib/lab';
import { LAB_ID, Outputs, REMEDIATION, RESOURCE_TYPE } from './contract';

/** The automation role the solution creates. */
export const SOLUTION_ROLE_NAME = `DopLab-${LAB_ID}-automation`;
export const SOLUTION_ATTEMPTS = 5;
export const SOLUTION_RETRY_SECONDS = 60;

/** How the solution waits; tests shorten it. */
export interface WaitOptions {
  readonly sleep: (ms: number) => Promise<void>;
  readonly pollMs: number;
  /** How long to wait for compliance before giving up. */
  readonly timeoutMs: number;
  /** After this long without a remediation run, start one by hand (the console's "Remediate"). */
  readonly nudgeAfterMs: number;
}

const DEFAULT_WAIT: WaitOptions = {
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  pollMs: 15_000,
  timeoutMs: 15 * 60_000,
  nudgeAfterMs: 3 * 60_000,
};

const TRUST_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: REMEDIATION.servicePrincipal }, Action: 'sts:AssumeRole' }],
});

async function automationRole(ctx: SolutionContext<typeof Outputs>, buckets: readonly string[]): Promise<string> {
  const iam = ctx.client(IAMClient);
  let roleArn: string;
  try {
    const created = await iam.send(
      new CreateRoleCommand({
        RoleName: SOLUTION_ROLE_NAME,
        AssumeRolePolicyDocument: TRUST_POLICY,
        Description: `SSM Automation role of the doplab lab ${LAB_ID} remediation`,
        Tags: [{ Key: LAB_TAG_KEY, Value: LAB_ID }],
      }),
    );
    roleArn = created.Role?.Arn ?? '';
  } catch (error) {
    if (awsErrorName(error) !== 'EntityAlreadyExists' && awsErrorName(error) !== 'EntityAlreadyExistsException') throw error;
    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: SOLUTION_ROLE_NAME, PolicyDocument: TRUST_POLICY }));
    roleArn = `arn:${partitionOf(ctx.region)}:iam::${ctx.account}:role/${SOLUTION_ROLE_NAME}`;
  }
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: SOLUTION_ROLE_NAME,
      PolicyName: 'ConfigureBucketVersioning',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        // Reading the state back too costs nothing in privilege and covers a verification step of the runbook.
        Statement: [{ Effect: 'Allow', Action: [...REMEDIATION.requiredActions, 's3:GetBucketVersioning'], Resource: buckets.map((b) => `arn:${partitionOf(ctx.region)}:s3:::${b}`) }],
      }),
    }),
  );
  return roleArn;
}

/** Applies the solution, waiting as `wait` says. */
export async function solveWith(ctx: SolutionContext<typeof Outputs>, wait: WaitOptions = DEFAULT_WAIT): Promise<void> {
  const cfg = ctx.client(ConfigServiceClient);
  const rule = ctx.outputs.configRuleName;
  const buckets = ctx.outputs.targetBucketNames.split(',').filter(Boolean);

  ctx.log(`Automation role ${SOLUTION_ROLE_NAME}: trusts ${REMEDIATION.servicePrincipal}, allows ${REMEDIATION.requiredActions.join(', ')} (and reading versioning) on ${buckets.join(', ')}`);
  const roleArn = await automationRole(ctx, buckets);

  ctx.log(`Remediation of ${rule}: ${REMEDIATION.documentName}, automatic, ${SOLUTION_ATTEMPTS} attempts ${SOLUTION_RETRY_SECONDS} s apart`);
  const put = await cfg.send(
    new PutRemediationConfigurationsCommand({
      RemediationConfigurations: [
        {
          ConfigRuleName: rule,
          TargetType: 'SSM_DOCUMENT',
          TargetId: REMEDIATION.documentName,
          ResourceType: RESOURCE_TYPE,
          Parameters: {
            [REMEDIATION.resourceParameter]: { ResourceValue: { Value: 'RESOURCE_ID' } },
            [REMEDIATION.roleParameter]: { StaticValue: { Values: [roleArn] } },
            [REMEDIATION.stateParameter]: { StaticValue: { Values: ['Enabled'] } },
          },
          Automatic: true,
          MaximumAutomaticAttempts: SOLUTION_ATTEMPTS,
          RetryAttemptSeconds: SOLUTION_RETRY_SECONDS,
        },
      ],
    }),
  );
  if ((put.FailedBatches ?? []).length > 0) {
    throw new DoplabError('AWS_ERROR', 'environment', `AWS Config refused the remediation of ${rule}: ${put.FailedBatches?.[0].FailureMessage}`);
  }

  ctx.log(`Re-evaluating ${rule}`);
  try {
    await cfg.send(new StartConfigRulesEvaluationCommand({ ConfigRuleNames: [rule] }));
  } catch (error) {
    // Config allows one evaluation start per rule and minute, and none while one runs: a running one does as well.
    if (awsErrorName(error) !== 'LimitExceededException') throw error;
    ctx.log(`An evaluation of ${rule} is already running`);
  }

  let nudged = false;
  for (let waited = 0; ; waited += wait.pollMs) {
    const page = await cfg.send(new GetComplianceDetailsByConfigRuleCommand({ ConfigRuleName: rule, ComplianceTypes: ['COMPLIANT', 'NON_COMPLIANT'], Limit: 100 }));
    const compliant = new Set(
      (page.EvaluationResults ?? [])
        .filter((e) => e.ComplianceType === 'COMPLIANT')
        .map((e) => e.EvaluationResultIdentifier?.EvaluationResultQualifier?.ResourceId),
    );
    const left = buckets.filter((b) => !compliant.has(b));
    if (left.length === 0) {
      ctx.log(`Every lab bucket is COMPLIANT with ${rule}`);
      return;
    }
    if (waited >= wait.timeoutMs) {
      throw new DoplabError('TIMEOUT', 'environment', `Buckets ${left.join(', ')} were still not COMPLIANT with ${rule} after ${waited / 1000} s.`, {
        hint: `Run doplab check ${LAB_ID}: it shows each bucket's remediation state and error.`,
      });
    }
    if (!nudged && waited >= wait.nudgeAfterMs) {
      // Buckets already NON_COMPLIANT when the remediation was attached may need one run started by hand.
      ctx.log(`Starting the remediation of ${left.join(', ')} by hand`);
      await cfg.send(
        new StartRemediationExecutionCommand({ ConfigRuleName: rule, ResourceKeys: left.map((resourceId) => ({ resourceType: RESOURCE_TYPE, resourceId })) }),
      );
      nudged = true;
    }
    ctx.log(`Waiting for AWS Config: ${left.join(', ')} not COMPLIANT yet`);
    await wait.sleep(wait.pollMs);
  }
}

export const solve: Solution<typeof Outputs> = (ctx) => solveWith(ctx);
