// Checker of the stacksets-multi-region lab: SDK only (never aws-cdk-lib), read-only calls.
import {
  CloudFormationClient,
  DescribeStackSetCommand,
  DescribeStacksCommand,
  ListStackInstancesCommand,
  ListStackSetOperationsCommand,
  ListStackSetsCommand,
  type Parameter,
  type StackInstanceSummary,
  type StackSet,
  type StackSetOperationSummary,
} from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient, DescribeLogGroupsCommand, type LogGroup } from '@aws-sdk/client-cloudwatch-logs';
import { z } from 'zod';
import { defineChecker, type Check, type Verdict } from '../lib/checker';
import { awsErrorMessage, awsErrorName } from '../lib/aws/errors';
import { factSchema, need, readFact, type Fact } from '../lib/facts';
import { allPages, byName, isoDates, type WithIsoDates } from '../lib/sdk-facts';
import {
  BASELINE_LOG_GROUP_NAME,
  LAB_ID,
  Outputs,
  RETENTION_PARAMETER,
  UPDATED_RETENTION_DAYS,
} from '../labs/stacksets-multi-region/contract';

// ---------------------------------------------------------------------------------------------
// Facts
// ---------------------------------------------------------------------------------------------

/** A StackSet as DescribeStackSet returns it, without its template body. */
export type StackSetView = Omit<StackSet, 'TemplateBody' | 'StackSetDriftDetectionDetails'> & {
  readonly StackSetDriftDetectionDetails?: WithIsoDates<NonNullable<StackSet['StackSetDriftDetectionDetails']>>;
};

/** The stack behind one stack instance, read in the instance's region. */
export interface InstanceStack {
  readonly region: string;
  readonly stackId: string;
  /** DescribeStacks in that region: status and parameters, or null when the stack is gone. */
  readonly stack: Fact<{ readonly StackStatus?: string; readonly Parameters: Parameter[] } | null>;
}

/** What gather reads about one StackSet that uses a lab role. */
export interface LabStackSetFacts {
  readonly name: string;
  /** ListStackInstances, every page. */
  readonly instances: Fact<WithIsoDates<StackInstanceSummary>[]>;
  /** ListStackSetOperations, the latest page (most recent first). */
  readonly operations: Fact<WithIsoDates<StackSetOperationSummary>[]>;
  /** Each instance's stack in this account, read in its region. */
  readonly stacks: readonly InstanceStack[];
}

/** The baseline's log group as DescribeLogGroups returns it in one region. */
export interface RegionalLogGroup {
  readonly region: string;
  readonly logGroup: Fact<LogGroup | null>;
}

/** What gather reads; each AWS read is a Fact so one failure only ERRORs the checks that need it. */
export interface StackSetsMultiRegionFacts {
  /** The deploy region: the StackSets administrator region and the first target. */
  readonly region: string;
  readonly account: string;
  /** The second target region (stack output). */
  readonly secondRegion: string;
  /** The lab's roles (stack outputs). */
  readonly administrationRoleArn: string;
  readonly executionRoleName: string;
  /** ListStackSets (ACTIVE), then DescribeStackSet of each self-managed one. */
  readonly stackSets: Fact<StackSetView[]>;
  /** Instances, operations and instance stacks of the StackSets that use a lab role. */
  readonly labStackSets: readonly LabStackSetFacts[];
  /** The baseline log group in each lab region. */
  readonly baseline: readonly RegionalLogGroup[];
}

/** StackSets described per gather at most; a sandbox rarely holds more than a few. */
export const MAX_STACK_SETS = 20;

const parameterSchema = z.looseObject({ ParameterKey: z.string().optional(), ParameterValue: z.string().optional() });
const preferencesSchema = z.looseObject({
  RegionConcurrencyType: z.string().optional(),
  FailureToleranceCount: z.number().optional(),
  FailureTolerancePercentage: z.number().optional(),
  MaxConcurrentCount: z.number().optional(),
  MaxConcurrentPercentage: z.number().optional(),
});

const stackSetSchema = z.looseObject({
  StackSetName: z.string().optional(),
  StackSetId: z.string().optional(),
  Status: z.string().optional(),
  PermissionModel: z.string().optional(),
  AdministrationRoleARN: z.string().optional(),
  ExecutionRoleName: z.string().optional(),
  Parameters: z.array(parameterSchema).optional(),
  StackSetDriftDetectionDetails: z
    .looseObject({
      DriftStatus: z.string().optional(),
      DriftDetectionStatus: z.string().optional(),
      LastDriftCheckTimestamp: z.string().optional(),
      DriftedStackInstancesCount: z.number().optional(),
      TotalStackInstancesCount: z.number().optional(),
    })
    .optional(),
});

const instanceSchema = z.looseObject({
  Region: z.string().optional(),
  Account: z.string().optional(),
  StackId: z.string().optional(),
  Status: z.string().optional(),
  StatusReason: z.string().optional(),
  StackInstanceStatus: z.looseObject({ DetailedStatus: z.string().optional() }).optional(),
  DriftStatus: z.string().optional(),
  LastDriftCheckTimestamp: z.string().optional(),
  LastOperationId: z.string().optional(),
});

const operationSchema = z.looseObject({
  OperationId: z.string().optional(),
  Action: z.string().optional(),
  Status: z.string().optional(),
  CreationTimestamp: z.string().optional(),
  EndTimestamp: z.string().optional(),
  StatusReason: z.string().optional(),
  OperationPreferences: preferencesSchema.optional(),
});

const schema = z.object({
  region: z.string().min(1),
  account: z.string().min(1),
  secondRegion: z.string().min(1),
  administrationRoleArn: z.string().startsWith('arn:'),
  executionRoleName: z.string().min(1),
  stackSets: factSchema(z.array(stackSetSchema)),
  labStackSets: z.array(
    z.object({
      name: z.string(),
      instances: factSchema(z.array(instanceSchema)),
      operations: factSchema(z.array(operationSchema)),
      stacks: z.array(
        z.object({
          region: z.string(),
          stackId: z.string(),
          stack: factSchema(z.looseObject({ StackStatus: z.string().optional(), Parameters: z.array(parameterSchema) }).nullable()),
        }),
      ),
    }),
  ),
  baseline: z.array(
    z.object({
      region: z.string(),
      logGroup: factSchema(
        z
          .looseObject({ logGroupName: z.string().optional(), retentionInDays: z.number().optional(), metricFilterCount: z.number().optional() })
          .nullable(),
      ),
    }),
  ),
});

// The schema checks what the checks rely on and passes the rest through, while the facts type keeps the SDK's own
// (stricter, enum-typed) shapes; the two cannot be unified without re-declaring the SDK types.
const factsSchema = schema as unknown as z.ZodType<StackSetsMultiRegionFacts>;

// ---------------------------------------------------------------------------------------------
// Gather
// ---------------------------------------------------------------------------------------------

/** True when a StackSet uses the lab's administration role or its execution role. */
export function usesLabRole(set: Pick<StackSet, 'AdministrationRoleARN' | 'ExecutionRoleName'>, adminArn: string, executionName: string): boolean {
  return set.AdministrationRoleARN === adminArn || set.ExecutionRoleName === executionName;
}

async function readStackSets(cfn: CloudFormationClient): Promise<StackSetView[]> {
  // ListStackSets lists DELETED StackSets too unless asked for ACTIVE ones.
  const summaries = await allPages(async (token) => {
    const page = await cfn.send(new ListStackSetsCommand({ Status: 'ACTIVE', MaxResults: 100, NextToken: token }));
    return { items: page.Summaries, next: page.NextToken };
  });
  const selfManaged = summaries
    .filter((s) => s.Status !== 'DELETED' && s.PermissionModel !== 'SERVICE_MANAGED' && s.StackSetName)
    .map((s) => s.StackSetName!)
    .sort()
    .slice(0, MAX_STACK_SETS);
  const sets = await Promise.all(
    selfManaged.map(async (name) => (await cfn.send(new DescribeStackSetCommand({ StackSetName: name }))).StackSet),
  );
  return sets
    .filter((s): s is StackSet => s !== undefined)
    .map(({ TemplateBody: _template, StackSetDriftDetectionDetails: drift, ...rest }) => ({
      ...rest,
      ...(drift ? { StackSetDriftDetectionDetails: isoDates(drift) } : {}),
    }));
}

async function readInstanceStack(cfn: CloudFormationClient, region: string, stackId: string): Promise<InstanceStack> {
  const stack = await readFact(async () => {
    try {
      const found = (await cfn.send(new DescribeStacksCommand({ StackName: stackId }))).Stacks?.[0];
      if (!found || found.StackStatus === 'DELETE_COMPLETE') return null;
      return { StackStatus: found.StackStatus, Parameters: found.Parameters ?? [] };
    } catch (error) {
      if (awsErrorName(error) === 'ValidationError' && /does not exist/.test(awsErrorMessage(error))) return null;
      throw error;
    }
  });
  return { region, stackId, stack };
}

async function readLabStackSet(
  name: string,
  cfn: CloudFormationClient,
  account: string,
  cfnIn: (region: string) => CloudFormationClient,
): Promise<LabStackSetFacts> {
  const instancesRead = readFact(async () =>
    (
      await allPages(async (token) => {
        const page = await cfn.send(new ListStackInstancesCommand({ StackSetName: name, MaxResults: 100, NextToken: token }));
        return { items: page.Summaries, next: page.NextToken };
      })
    ).map(isoDates),
  );
  const operationsRead = readFact(async () => {
    const page = await cfn.send(new ListStackSetOperationsCommand({ StackSetName: name, MaxResults: 100 }));
    return (page.Summaries ?? []).map(isoDates);
  });
  const stacksRead = instancesRead.then((instances) =>
    instances.ok
      ? Promise.all(
          instances.value
            .filter((i) => i.Account === account && i.Region && i.StackId)
            .map((i) => readInstanceStack(cfnIn(i.Region!), i.Region!, i.StackId!)),
        )
      : [],
  );
  const [instances, operations, stacks] = await Promise.all([instancesRead, operationsRead, stacksRead]);
  return { name, instances, operations, stacks };
}

async function readBaselineLogGroup(logs: CloudWatchLogsClient, region: string): Promise<RegionalLogGroup> {
  const logGroup = await readFact(async () => {
    const page = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: BASELINE_LOG_GROUP_NAME, limit: 5 }));
    return (page.logGroups ?? []).find((g) => g.logGroupName === BASELINE_LOG_GROUP_NAME) ?? null;
  });
  return { region, logGroup };
}

/** The regions the baseline must reach: the deploy region, then the second region. */
export function labRegionsOf(facts: Pick<StackSetsMultiRegionFacts, 'region' | 'secondRegion'>): string[] {
  return [...new Set([facts.region, facts.secondRegion])];
}

// ---------------------------------------------------------------------------------------------
// Judging helpers (pure)
// ---------------------------------------------------------------------------------------------

type Facts = StackSetsMultiRegionFacts;
type Operation = WithIsoDates<StackSetOperationSummary>;
type Instance = WithIsoDates<StackInstanceSummary>;

const BUSY = ['RUNNING', 'QUEUED', 'STOPPING'];
const DEFAULT_ADMIN_ROLE = 'AWSCloudFormationStackSetAdministrationRole';
const DEFAULT_EXECUTION_ROLE = 'AWSCloudFormationStackSetExecutionRole';

function setWhere(facts: Facts, set?: StackSetView): string {
  return set ? `StackSet "${set.StackSetName}" in ${facts.region}` : `StackSets in ${facts.region}`;
}

function roleName(arn: string | undefined): string {
  return arn?.split('/').pop() ?? 'none';
}

/** The lab StackSets, best first: both lab roles, then most CURRENT instances in the lab regions, then by name. */
function rankedLabSets(facts: Facts): StackSetView[] {
  const sets = need(facts.stackSets).filter((s) => usesLabRole(s, facts.administrationRoleArn, facts.executionRoleName));
  const bothRoles = (s: StackSetView) => Number(s.AdministrationRoleARN === facts.administrationRoleArn && s.ExecutionRoleName === facts.executionRoleName);
  const current = (s: StackSetView) => {
    const data = facts.labStackSets.find((d) => d.name === s.StackSetName);
    if (!data?.instances.ok) return 0;
    return data.instances.value.filter((i) => i.Account === facts.account && labRegionsOf(facts).includes(i.Region ?? '') && i.Status === 'CURRENT').length;
  };
  return [...sets].sort(
    (a, b) => bothRoles(b) - bothRoles(a) || current(b) - current(a) || byName(a.StackSetName, b.StackSetName),
  );
}

function bestSet(facts: Facts): { set: StackSetView; data: LabStackSetFacts; count: number } {
  const ranked = rankedLabSets(facts);
  const set = ranked[0];
  const data = facts.labStackSets.find((d) => d.name === set.StackSetName);
  if (!data) throw new Error(`StackSet ${set.StackSetName} was not read in full`);
  return { set, data, count: ranked.length };
}

/** Operations, most recent first. */
function operationsOf(data: LabStackSetFacts): Operation[] {
  return [...need(data.operations)].sort((a, b) => ((a.CreationTimestamp ?? '') < (b.CreationTimestamp ?? '') ? 1 : -1));
}

/** The StackSet's running operation, if any; `rollouts` ignores drift detection, which changes no instance. */
function busyOperation(data: LabStackSetFacts, only: 'any' | 'rollouts' = 'any'): Operation | undefined {
  return operationsOf(data).find((op) => BUSY.includes(op.Status ?? '') && (only === 'any' || op.Action !== 'DETECT_DRIFT'));
}

function describeOperation(op: Operation): string {
  return `operation ${op.OperationId} (${op.Action}) is ${op.Status}${op.CreationTimestamp ? ` since ${op.CreationTimestamp}` : ''}`;
}

function labInstances(facts: Facts, data: LabStackSetFacts): Map<string, Instance> {
  const byRegion = new Map<string, Instance>();
  for (const i of need(data.instances)) if (i.Account === facts.account && i.Region) byRegion.set(i.Region, i);
  return byRegion;
}

function describeInstance(i: Instance): string {
  const detail = i.StackInstanceStatus?.DetailedStatus;
  return `${i.Region}: ${i.Status}${detail ? ` (${detail})` : ''}${i.StatusReason ? `: ${i.StatusReason}` : ''}`;
}

function parameterValue(parameters: readonly Parameter[] | undefined): string | undefined {
  return parameters?.find((p) => p.ParameterKey === RETENTION_PARAMETER)?.ParameterValue;
}

function pending(observed: string, expected: string, where: string): Verdict {
  return { status: 'PENDING', evidence: { observed, expected, where } };
}

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

const stackSetUsesLabRoles: Check<Facts> = {
  id: 'stack-set-uses-lab-roles',
  title: "A self-managed StackSet uses the lab's administration and execution roles",
  points: 20,
  taskStatement: '2.2',
  hint:
    'Create a StackSet from the baseline template with self-managed permissions. With roles other than the default names, ' +
    'CloudFormation must be told both: the administration role by ARN and the execution role by name (stack outputs).',
  run(facts): Verdict {
    const expected = `an ACTIVE SELF_MANAGED StackSet with administration role ${facts.administrationRoleArn} and execution role ${facts.executionRoleName}`;
    const all = need(facts.stackSets);
    const ranked = rankedLabSets(facts);
    if (ranked.length === 0) {
      const others = all.map((s) => `"${s.StackSetName}" uses ${roleName(s.AdministrationRoleARN)} / ${s.ExecutionRoleName ?? 'none'}`);
      const defaults = all.some((s) => roleName(s.AdministrationRoleARN) === DEFAULT_ADMIN_ROLE || s.ExecutionRoleName === DEFAULT_EXECUTION_ROLE);
      return {
        status: 'FAIL',
        evidence: {
          observed: [`no ACTIVE self-managed StackSet in ${facts.region} uses the lab's roles`, ...others].join('; '),
          expected,
          where: setWhere(facts),
        },
        ...(defaults
          ? {
              hint:
                `A StackSet uses the default role names ${DEFAULT_ADMIN_ROLE} / ${DEFAULT_EXECUTION_ROLE}, which this account does not need to have. ` +
                "Create it with the lab's roles instead (a StackSet's roles are set when you create or update it).",
            }
          : {}),
      };
    }
    const set = ranked[0];
    const chosen = ranked.length > 1 ? ` (best of ${ranked.length} StackSets using a lab role)` : '';
    const observed = `StackSet "${set.StackSetName}" (${set.PermissionModel ?? 'SELF_MANAGED'}) uses administration role ${set.AdministrationRoleARN} and execution role ${set.ExecutionRoleName}${chosen}`;
    const evidence = { observed, expected, where: setWhere(facts, set) };
    const adminOk = set.AdministrationRoleARN === facts.administrationRoleArn;
    const executionOk = set.ExecutionRoleName === facts.executionRoleName;
    if (adminOk && executionOk) return { status: 'PASS', evidence };
    return {
      status: 'FAIL',
      evidence,
      hint: adminOk
        ? "The StackSet has the lab's administration role but another execution role: the execution role is given by name, the same name in every target account."
        : "The StackSet has the lab's execution role but another administration role: give the administration role's ARN too.",
    };
  },
};

const instancesCurrent: Check<Facts> = {
  id: 'instances-current',
  title: 'Stack instances in both regions are CURRENT',
  points: 20,
  taskStatement: '2.2',
  dependsOn: ['stack-set-uses-lab-roles'],
  hint: 'Add stack instances for this account in the deploy region and the second region (both are stack outputs) and let the operation finish.',
  run(facts): Verdict {
    const { set, data } = bestSet(facts);
    const regions = labRegionsOf(facts);
    const where = setWhere(facts, set);
    const expected = `stack instances for account ${facts.account} in ${regions.join(' and ')}, each CURRENT`;
    const busy = busyOperation(data, 'rollouts');
    if (busy) return pending(describeOperation(busy), `${expected} once the operation finishes`, where);
    const byRegion = labInstances(facts, data);
    const seen = regions.map((r) => byRegion.get(r));
    const observed = regions.map((r, i) => (seen[i] ? describeInstance(seen[i]) : `${r}: no stack instance`)).join('; ');
    const evidence = { observed, expected, where };
    if (seen.every((i) => i?.Status === 'CURRENT')) return { status: 'PASS', evidence };
    const present = seen.filter((i): i is Instance => i !== undefined);
    const detail = (i: Instance) => i.StackInstanceStatus?.DetailedStatus;
    if (present.some((i) => i.Status === 'INOPERABLE' || detail(i) === 'INOPERABLE')) {
      return {
        status: 'FAIL',
        evidence,
        hint: 'An INOPERABLE instance is one a delete could not remove: its stack is no longer managed. Delete the instance again (retaining the stack if it cannot be deleted), then create it anew.',
      };
    }
    if (present.some((i) => detail(i) === 'FAILED')) {
      return {
        status: 'FAIL',
        evidence,
        hint:
          "A failed instance says why in its status reason, and the stack's events in that region name the resource that failed. " +
          'Fix the cause (permissions of the execution role, a resource that already exists), then run the operation again for that region.',
      };
    }
    if (present.some((i) => detail(i) === 'CANCELLED')) {
      return {
        status: 'FAIL',
        evidence,
        hint: 'An instance was cancelled: the operation stopped once failures exceeded its failure tolerance elsewhere. Fix the failure, then run the operation again.',
      };
    }
    if (present.length < regions.length) return { status: 'FAIL', evidence };
    return {
      status: 'FAIL',
      evidence,
      hint: 'An OUTDATED instance has not received the StackSet\'s latest template or parameters; roll them out to it (update the stack instances or the StackSet).',
    };
  },
};

const parallelRollout: Check<Facts> = {
  id: 'parallel-rollout',
  title: 'A rollout ran in both regions in parallel',
  points: 10,
  taskStatement: '2.2',
  dependsOn: ['stack-set-uses-lab-roles'],
  hint:
    'By default StackSets works through one region after another. Set the operation preferences when you create the instances or ' +
    'update the StackSet: region concurrency, and a failure tolerance that suits a baseline.',
  run(facts): Verdict {
    const { set, data } = bestSet(facts);
    const where = setWhere(facts, set);
    const expected = 'a CREATE or UPDATE operation that SUCCEEDED with region concurrency PARALLEL';
    const rollouts = operationsOf(data).filter((op) => op.Action === 'CREATE' || op.Action === 'UPDATE');
    const prefs = (op: Operation) => {
      const p = op.OperationPreferences ?? {};
      const tolerance = p.FailureTolerancePercentage !== undefined ? `${p.FailureTolerancePercentage}%` : `${p.FailureToleranceCount ?? 0}`;
      return `${op.Action} ${op.OperationId} ${op.Status}: ${p.RegionConcurrencyType ?? 'SEQUENTIAL'}, failure tolerance ${tolerance}`;
    };
    const parallel = (op: Operation) => op.OperationPreferences?.RegionConcurrencyType === 'PARALLEL';
    const done = rollouts.find((op) => op.Status === 'SUCCEEDED' && parallel(op));
    const observed = rollouts.length > 0 ? rollouts.map(prefs).join('; ') : 'no CREATE or UPDATE operation';
    if (done) return { status: 'PASS', evidence: { observed: prefs(done), expected, where } };
    const running = rollouts.find((op) => BUSY.includes(op.Status ?? '') && parallel(op));
    if (running) return pending(describeOperation(running), expected, where);
    return { status: 'FAIL', evidence: { observed, expected, where } };
  },
};

const parameterRolledOut: Check<Facts> = {
  id: 'parameter-rolled-out',
  title: `The new ${RETENTION_PARAMETER} is live in every stack instance`,
  points: 20,
  taskStatement: '2.1',
  dependsOn: ['stack-set-uses-lab-roles'],
  hint: `Change the StackSet's ${RETENTION_PARAMETER} parameter to the value the task states and roll the update out to every instance.`,
  run(facts): Verdict {
    const { set, data } = bestSet(facts);
    const where = setWhere(facts, set);
    const want = String(UPDATED_RETENTION_DAYS);
    const expected = `${RETENTION_PARAMETER} = ${want} in the StackSet and in the stack of every instance (${labRegionsOf(facts).join(', ')})`;
    const busy = busyOperation(data, 'rollouts');
    if (busy) return pending(describeOperation(busy), `${expected} once the operation finishes`, where);
    const setValue = parameterValue(set.Parameters) ?? 'the template default';
    const values = labRegionsOf(facts).map((region) => {
      const stack = data.stacks.find((s) => s.region === region);
      const read = stack ? need(stack.stack) : null;
      return { region, value: read ? (parameterValue(read.Parameters) ?? 'unset') : undefined };
    });
    const observed =
      `StackSet: ${setValue}; ` + values.map((v) => `${v.region}: ${v.value === undefined ? 'no instance stack' : v.value}`).join(', ');
    const evidence = { observed, expected, where };
    if (setValue === want && values.every((v) => v.value === want)) return { status: 'PASS', evidence };
    if (setValue === want) {
      return {
        status: 'FAIL',
        evidence,
        hint:
          'The StackSet has the new value but an instance does not: either the update has not reached that region (see the instance status) ' +
          "or a parameter override on the instance wins over the StackSet's value.",
      };
    }
    return { status: 'FAIL', evidence };
  },
};

const baselineLive: Check<Facts> = {
  id: 'baseline-live',
  title: 'The baseline log group exists with the new retention in both regions',
  points: 15,
  taskStatement: '2.1',
  hint: `The baseline creates ${BASELINE_LOG_GROUP_NAME} (with its metric filter) wherever a stack instance runs; look for it in each region.`,
  run(facts): Verdict {
    const expected = `log group ${BASELINE_LOG_GROUP_NAME} with ${UPDATED_RETENTION_DAYS}-day retention and its metric filter in ${labRegionsOf(facts).join(' and ')}`;
    const problems: string[] = [];
    const seen = labRegionsOf(facts).map((region) => {
      const read = facts.baseline.find((b) => b.region === region);
      const group = read ? need(read.logGroup) : null;
      if (!group) {
        problems.push('missing');
        return `${region}: no log group`;
      }
      const retention = group.retentionInDays === undefined ? 'never expire' : `${group.retentionInDays} days`;
      if (group.retentionInDays !== UPDATED_RETENTION_DAYS) problems.push('retention');
      if (!group.metricFilterCount) problems.push('filter');
      return `${region}: retention ${retention}, ${group.metricFilterCount ?? 0} metric filter(s)`;
    });
    const evidence = { observed: seen.join('; '), expected, where: `CloudWatch Logs in ${labRegionsOf(facts).join(' and ')}` };
    if (problems.length === 0) return { status: 'PASS', evidence };
    if (problems.includes('missing')) return { status: 'FAIL', evidence };
    if (problems.includes('retention')) {
      return { status: 'FAIL', evidence, hint: "Retention is the baseline's parameter: change it through the StackSet, and the StackSet changes every region." };
    }
    return { status: 'FAIL', evidence, hint: "The log group has lost its metric filter: the baseline has drifted. Detect drift on the StackSet, then roll the baseline out again." };
  },
};

const driftDetected: Check<Facts> = {
  id: 'drift-detected',
  title: 'Drift detection ran on the StackSet after the last rollout and found it in sync',
  points: 15,
  taskStatement: '2.1',
  dependsOn: ['stack-set-uses-lab-roles'],
  hint: 'Run drift detection on the StackSet (not on a single stack) once your last update has finished.',
  run(facts): Verdict {
    const { set, data } = bestSet(facts);
    const where = setWhere(facts, set);
    const expected = 'a DETECT_DRIFT operation that SUCCEEDED after the last CREATE or UPDATE finished, with every instance IN_SYNC';
    // Drift detection waits for the StackSet's running operation, and its result would predate it.
    const busy = busyOperation(data);
    if (busy) return pending(describeOperation(busy), expected, where);
    const ops = operationsOf(data);
    const drift = ops.find((op) => op.Action === 'DETECT_DRIFT');
    if (!drift) return { status: 'FAIL', evidence: { observed: `no drift detection has run on StackSet "${set.StackSetName}"`, expected, where } };
    const ran = `drift detection ${drift.OperationId} ${drift.Status}${drift.EndTimestamp ? ` at ${drift.EndTimestamp}` : ''}`;
    if (drift.Status !== 'SUCCEEDED') {
      return {
        status: 'FAIL',
        evidence: { observed: `${ran}${drift.StatusReason ? `: ${drift.StatusReason}` : ''}`, expected, where },
        hint: 'Drift detection could not finish; its status reason says why (often a stack instance that is not CURRENT). Fix that, then detect drift again.',
      };
    }
    const laterRollout = ops.find(
      (op) => (op.Action === 'CREATE' || op.Action === 'UPDATE') && (op.EndTimestamp ?? op.CreationTimestamp ?? '') > (drift.CreationTimestamp ?? ''),
    );
    if (laterRollout) {
      return {
        status: 'FAIL',
        evidence: { observed: `${ran}, before ${laterRollout.Action} ${laterRollout.OperationId} finished at ${laterRollout.EndTimestamp ?? 'an unknown time'}`, expected, where },
        hint: 'The drift results predate your last rollout, so they say nothing about the baseline as it is now: detect drift again.',
      };
    }
    const details = set.StackSetDriftDetectionDetails;
    const drifted = need(data.instances).filter((i) => i.DriftStatus === 'DRIFTED').map((i) => i.Region);
    const status = details?.DriftStatus ?? 'NOT_CHECKED';
    const counts = details?.TotalStackInstancesCount !== undefined ? ` (${details.DriftedStackInstancesCount ?? 0} of ${details.TotalStackInstancesCount} instances drifted)` : '';
    const observed = `${ran}: StackSet ${status}${counts}${drifted.length > 0 ? `; drifted: ${drifted.join(', ')}` : ''}`;
    if (status === 'IN_SYNC' && drifted.length === 0) return { status: 'PASS', evidence: { observed, expected, where } };
    if (status === 'DRIFTED' || drifted.length > 0) {
      return {
        status: 'FAIL',
        evidence: { observed, expected, where },
        hint:
          'Drift detection found an instance that no longer matches the baseline. Put it back (undo the change, or roll the StackSet out to that ' +
          'instance again), then detect drift again.',
      };
    }
    return { status: 'FAIL', evidence: { observed, expected, where } };
  },
};

// ---------------------------------------------------------------------------------------------
// The checker
// ---------------------------------------------------------------------------------------------

export const checker = defineChecker({
  labId: LAB_ID,
  outputs: Outputs,
  actions: [
    'cloudformation:ListStackSets',
    'cloudformation:DescribeStackSet',
    'cloudformation:ListStackInstances',
    'cloudformation:ListStackSetOperations',
    'logs:DescribeLogGroups',
  ],
  factsSchema,
  async gather({ outputs, account, region, client }): Promise<StackSetsMultiRegionFacts> {
    const secondRegion = outputs.secondRegion;
    const administrationRoleArn = outputs.administrationRoleArn;
    const executionRoleName = outputs.executionRoleName;
    const regions = labRegionsOf({ region, secondRegion });
    // One client per region, built once: instances may live in regions beyond the two the task names.
    const cfnClients = new Map<string, CloudFormationClient>();
    const cfnIn = (r: string) => {
      if (!cfnClients.has(r)) cfnClients.set(r, client(CloudFormationClient, r));
      return cfnClients.get(r)!;
    };
    const cfn = cfnIn(region);

    const baselineRead = Promise.all(regions.map((r) => readBaselineLogGroup(client(CloudWatchLogsClient, r), r)));
    const stackSets = await readFact(() => readStackSets(cfn));
    const labSetNames = stackSets.ok
      ? stackSets.value.filter((s) => usesLabRole(s, administrationRoleArn, executionRoleName)).map((s) => s.StackSetName!)
      : [];
    const [labStackSets, baseline] = await Promise.all([
      Promise.all(labSetNames.map((name) => readLabStackSet(name, cfn, account, cfnIn))),
      baselineRead,
    ]);
    return { region, account, secondRegion, administrationRoleArn, executionRoleName, stackSets, labStackSets, baseline };
  },
  checks: [stackSetUsesLabRoles, instancesCurrent, parallelRollout, parameterRolledOut, baselineLive, driftDetected],
});
