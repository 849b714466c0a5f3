// Checker of the config-remediation lab: SDK only (never aws-cdk-lib), read-only calls.
import {
  ConfigServiceClient,
  DescribeRemediationConfigurationsCommand,
  DescribeRemediationExecutionStatusCommand,
  GetComplianceDetailsByConfigRuleCommand,
  type EvaluationResult,
  type RemediationConfiguration,
  type RemediationExecutionStatus,
} from '@aws-sdk/client-config-service';
import { GetRoleCommand, IAMClient, SimulatePrincipalPolicyCommand, type EvaluationResult as SimulationResult } from '@aws-sdk/client-iam';
import { z } from 'zod';
import { awsErrorName } from '../lib/aws/errors';
import { defineChecker, type Check, type Verdict } from '../lib/checker';
import { factSchema, need, readFact, type Fact } from '../lib/facts';
import { allPages, jsonified, partitionOf, type Jsonified } from '../lib/sdk-facts';
import {
  DEFAULT_AUTOMATIC_ATTEMPTS,
  LAB_ID,
  Outputs,
  REMEDIATION,
  RESOURCE_TYPE,
  SCOPE_TAG,
} from '../labs/config-remediation/contract';

// ---------------------------------------------------------------------------------------------
// Facts
// ---------------------------------------------------------------------------------------------

/** The automation role as GetRole returns it, its trust policy decoded from URL encoding. */
export interface RoleFacts {
  readonly RoleName: string;
  readonly Arn: string;
  /** The trust policy, as JSON text. */
  readonly AssumeRolePolicyDocument: string;
}

/** What gather reads; each AWS read is a Fact so one failure only ERRORs the checks that need it. */
export interface ConfigRemediationFacts {
  readonly region: string;
  /** The lab's Config rule (stack output). */
  readonly ruleName: string;
  /** The lab's non-compliant buckets (stack output). */
  readonly buckets: readonly string[];
  /** DescribeRemediationConfigurations of the rule. */
  readonly remediations: Fact<Jsonified<RemediationConfiguration>[]>;
  /** GetComplianceDetailsByConfigRule, every page; null when the rule does not exist. */
  readonly compliance: Fact<Jsonified<EvaluationResult>[] | null>;
  /** DescribeRemediationExecutionStatus of the lab's buckets. */
  readonly executions: Fact<Jsonified<RemediationExecutionStatus>[]>;
  /** GetRole of the remediation's automation role; null when it does not exist; absent when no role is configured. */
  readonly role?: Fact<RoleFacts | null>;
  /** SimulatePrincipalPolicy of the role for the runbook's actions on the lab's buckets; absent when no role is configured. */
  readonly simulation?: Fact<Jsonified<SimulationResult>[]>;
}

const isoDate = z.string().optional();

const remediationSchema = z.looseObject({
  ConfigRuleName: z.string().optional(),
  TargetType: z.string().optional(),
  TargetId: z.string().optional(),
  ResourceType: z.string().optional(),
  Automatic: z.boolean().optional(),
  MaximumAutomaticAttempts: z.number().optional(),
  RetryAttemptSeconds: z.number().optional(),
  Parameters: z
    .record(
      z.string(),
      z.looseObject({
        ResourceValue: z.looseObject({ Value: z.string().optional() }).optional(),
        StaticValue: z.looseObject({ Values: z.array(z.string()).optional() }).optional(),
      }),
    )
    .optional(),
});

const evaluationSchema = z.looseObject({
  EvaluationResultIdentifier: z
    .looseObject({
      EvaluationResultQualifier: z
        .looseObject({ ConfigRuleName: z.string().optional(), ResourceType: z.string().optional(), ResourceId: z.string().optional() })
        .optional(),
      OrderingTimestamp: isoDate,
    })
    .optional(),
  ComplianceType: z.string().optional(),
  ResultRecordedTime: isoDate,
  ConfigRuleInvokedTime: isoDate,
});

const executionSchema = z.looseObject({
  ResourceKey: z.looseObject({ resourceType: z.string().optional(), resourceId: z.string().optional() }).optional(),
  State: z.string().optional(),
  StepDetails: z
    .array(
      z.looseObject({ Name: z.string().optional(), State: z.string().optional(), ErrorMessage: z.string().optional(), StartTime: isoDate, StopTime: isoDate }),
    )
    .optional(),
  InvocationTime: isoDate,
  LastUpdatedTime: isoDate,
});

const simulationSchema = z.looseObject({
  EvalActionName: z.string().optional(),
  EvalResourceName: z.string().optional(),
  EvalDecision: z.string().optional(),
  ResourceSpecificResults: z
    .array(z.looseObject({ EvalResourceName: z.string().optional(), EvalResourceDecision: z.string().optional() }))
    .optional(),
});

const schema = z.object({
  region: z.string().min(1),
  ruleName: z.string().min(1),
  buckets: z.array(z.string().min(1)).min(1),
  remediations: factSchema(z.array(remediationSchema)),
  compliance: factSchema(z.array(evaluationSchema).nullable()),
  executions: factSchema(z.array(executionSchema)),
  role: factSchema(z.object({ RoleName: z.string(), Arn: z.string(), AssumeRolePolicyDocument: z.string() }).nullable()).optional(),
  simulation: factSchema(z.array(simulationSchema)).optional(),
});

// The schema checks what the checks rely on and passes the rest through; the facts type keeps the SDK's shapes.
const factsSchema = schema as unknown as z.ZodType<ConfigRemediationFacts>;

// ---------------------------------------------------------------------------------------------
// Gather
// ---------------------------------------------------------------------------------------------

/** The S3 ARN of a bucket in the partition of `region` (S3 ARNs carry neither region nor account, but do carry the partition). */
export function bucketArn(bucket: string, region: string): string {
  return `arn:${partitionOf(region)}:s3:::${bucket}`;
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/(?:[\w+=,.@/-]*\/)?([\w+=,.@-]+)$/;

type Remediation = Jsonified<RemediationConfiguration>;

/** The lab's remediation: the one for S3 buckets, or the only one. */
function labRemediation(remediations: readonly Remediation[]): Remediation | undefined {
  return remediations.find((r) => r.ResourceType === RESOURCE_TYPE) ?? remediations.find((r) => r.ResourceType === undefined) ?? remediations[0];
}

function roleArnOf(remediation: Remediation | undefined): string | undefined {
  return remediation?.Parameters?.[REMEDIATION.roleParameter]?.StaticValue?.Values?.[0];
}

async function readRole(iam: IAMClient, roleName: string): Promise<RoleFacts | null> {
  try {
    const { Role: role } = await iam.send(new GetRoleCommand({ RoleName: roleName }));
    return { RoleName: role?.RoleName ?? roleName, Arn: role?.Arn ?? '', AssumeRolePolicyDocument: decodeURIComponent(role?.AssumeRolePolicyDocument ?? '') };
  } catch (error) {
    if (awsErrorName(error) === 'NoSuchEntity' || awsErrorName(error) === 'NoSuchEntityException') return null;
    throw error;
  }
}

async function simulate(iam: IAMClient, roleArn: string, buckets: readonly string[], region: string): Promise<SimulationResult[]> {
  return allPages(async (Marker) => {
    const page = await iam.send(
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: roleArn,
        ActionNames: [...REMEDIATION.requiredActions],
        ResourceArns: buckets.map((b) => bucketArn(b, region)),
        Marker,
      }),
    );
    return { items: page.EvaluationResults, next: page.IsTruncated ? page.Marker : undefined };
  });
}

// ---------------------------------------------------------------------------------------------
// Judging helpers (pure)
// ---------------------------------------------------------------------------------------------

type Facts = ConfigRemediationFacts;

function ruleWhere(facts: Facts): string {
  return `AWS Config rule ${facts.ruleName} in ${facts.region}`;
}

/** The remediation the checks judge; the first check fails when there is none, so later ones may rely on it. */
function remediationOf(facts: Facts): Remediation | undefined {
  return labRemediation(need(facts.remediations));
}

function documentName(targetId: string | undefined): string {
  // TargetId is a document name or a document ARN (…:document/NAME).
  return (targetId ?? '').replace(/^arn:[^:]+:ssm:[^:]*:[^:]*:document\//, '');
}

type ParameterValue = NonNullable<Remediation['Parameters']>[string];

function describeParameter(value: ParameterValue | undefined): string {
  if (value?.ResourceValue) return `resource value ${value.ResourceValue.Value}`;
  if (value?.StaticValue) return `static value ${JSON.stringify(value.StaticValue.Values ?? [])}`;
  return 'no value';
}

interface TrustStatement {
  Effect?: string;
  Principal?: string | { Service?: string | string[]; AWS?: string | string[] };
  Action?: string | string[];
  Condition?: unknown;
}

function asList(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** Whether a trust statement names the SSM service and the AssumeRole action. */
function coversSsmAssume(statement: TrustStatement): boolean {
  const principals = typeof statement.Principal === 'string' ? [statement.Principal] : asList(statement.Principal?.Service);
  const actions = asList(statement.Action);
  return (
    (principals.includes('*') || principals.includes(REMEDIATION.servicePrincipal)) &&
    actions.some((a) => a === '*' || a === 'sts:*' || a.toLowerCase() === 'sts:assumerole')
  );
}

function latest<T>(items: readonly T[], time: (item: T) => string | undefined): T | undefined {
  return [...items].sort((a, b) => Date.parse(time(b) ?? '') - Date.parse(time(a) ?? ''))[0];
}

/** One bucket's compliance, judged. */
interface BucketJudgement {
  readonly status: 'PASS' | 'FAIL' | 'PENDING';
  readonly observed: string;
  readonly hint?: string;
}

function judgeBucket(bucket: string, evaluations: readonly Jsonified<EvaluationResult>[], executions: readonly Jsonified<RemediationExecutionStatus>[]): BucketJudgement {
  const evaluation = latest(
    evaluations.filter((e) => e.EvaluationResultIdentifier?.EvaluationResultQualifier?.ResourceId === bucket),
    (e) => e.ResultRecordedTime,
  );
  const execution = latest(
    executions.filter((x) => x.ResourceKey?.resourceId === bucket),
    (x) => x.LastUpdatedTime ?? x.InvocationTime,
  );
  const compliance = evaluation?.ComplianceType;
  const evaluated = evaluation?.ResultRecordedTime;
  const since = evaluated ? ` (evaluated ${evaluated})` : '';
  const state = execution?.State;
  if (compliance === 'COMPLIANT') {
    if (state === 'SUCCEEDED') return { status: 'PASS', observed: `${bucket}: COMPLIANT${since}, remediated at ${execution?.LastUpdatedTime ?? execution?.InvocationTime}` };
    // Versioning switched on by hand makes the bucket compliant too, but proves nothing about the remediation.
    return {
      status: 'FAIL',
      observed: `${bucket}: COMPLIANT${since}, but no successful remediation execution is recorded for it${state ? ` (last one ${state})` : ''}`,
      hint:
        'A bucket fixed by hand proves nothing about the remediation. Suspend versioning on it (the rule then reports it ' +
        'NON_COMPLIANT) and let the remediation switch it back on.',
    };
  }
  if (compliance === 'NOT_APPLICABLE') {
    return {
      status: 'FAIL',
      observed: `${bucket}: NOT_APPLICABLE${since}: the rule no longer evaluates it`,
      hint: `The rule evaluates buckets tagged ${SCOPE_TAG.key}=${SCOPE_TAG.value}; keep the tag and the rule's scope as deployed.`,
    };
  }
  if (state === 'QUEUED' || state === 'IN_PROGRESS' || state === 'UNKNOWN') {
    const step = execution?.StepDetails?.find((s) => s.State === 'IN_PROGRESS' || s.State === 'PENDING');
    return {
      status: 'PENDING',
      observed: `${bucket}: ${compliance ?? 'not evaluated yet'}; waiting for the remediation execution (${state} since ${execution?.InvocationTime ?? 'now'}${step ? `, step ${step.Name}` : ''})`,
    };
  }
  if (state === 'FAILED') {
    const failed = execution?.StepDetails?.find((s) => s.State === 'FAILED' && s.ErrorMessage) ?? execution?.StepDetails?.find((s) => s.ErrorMessage);
    return {
      status: 'FAIL',
      observed: `${bucket}: ${compliance ?? 'not evaluated'}; the remediation execution failed at ${execution?.LastUpdatedTime ?? 'an unknown time'}${failed ? ` in step ${failed.Name}: ${failed.ErrorMessage}` : ''}`,
      hint: 'Read the failure message: usually the automation role cannot be assumed by SSM or lacks a permission the runbook needs. Fix it, then re-evaluate the rule so that the remediation runs again.',
    };
  }
  if (state === 'SUCCEEDED') {
    const remediated = execution?.LastUpdatedTime ?? execution?.InvocationTime;
    if (!evaluation || Date.parse(evaluated ?? '') < Date.parse(remediated ?? '')) {
      return {
        status: 'PENDING',
        observed: `${bucket}: ${compliance ?? 'not evaluated'}${since}; the remediation succeeded at ${remediated}, waiting for AWS Config to re-evaluate the bucket`,
      };
    }
    return {
      status: 'FAIL',
      observed: `${bucket}: NON_COMPLIANT at ${evaluated}, after a remediation that succeeded at ${remediated}`,
      hint: `The remediation ran but did not make the bucket compliant: check the runbook parameters (${REMEDIATION.stateParameter} must enable versioning).`,
    };
  }
  if (!evaluation) return { status: 'PENDING', observed: `${bucket}: waiting for the rule's first evaluation of the bucket` };
  return {
    status: 'FAIL',
    observed: `${bucket}: ${compliance}${since}, and no remediation has run on it`,
    hint:
      'Automatic remediation acts when the rule reports a bucket NON_COMPLIANT; buckets found non-compliant before you attached it ' +
      'need a new evaluation (re-evaluate the rule), or remediate them once by hand from the rule page.',
  };
}

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

const DOCUMENT_EXPECTED =
  'a remediation action on the rule that runs the AWS-owned SSM Automation runbook configuring S3 bucket versioning, with ' +
  `${REMEDIATION.resourceParameter} taken from the resource id (RESOURCE_ID) and versioning enabled`;

const remediationDocument: Check<Facts> = {
  id: 'remediation-document',
  title: 'The rule remediates with the AWS-owned versioning runbook, the bucket taken from RESOURCE_ID',
  points: 25,
  taskStatement: '5.2',
  hint:
    "Open the lab's rule in the AWS Config console and manage its remediation action: choose the AWS-owned runbook that configures " +
    'S3 bucket versioning, and pass the non-compliant resource to it as a parameter rather than a fixed bucket name.',
  run(facts): Verdict {
    const where = ruleWhere(facts);
    const remediation = remediationOf(facts);
    if (!remediation) return { status: 'FAIL', evidence: { observed: 'the rule has no remediation action', expected: DOCUMENT_EXPECTED, where } };
    const name = documentName(remediation.TargetId);
    const parameters = remediation.Parameters ?? {};
    const bucketParameter = parameters[REMEDIATION.resourceParameter];
    const state = parameters[REMEDIATION.stateParameter]?.StaticValue?.Values ?? [];
    const observed =
      `remediation runs ${remediation.TargetType ?? 'no target type'} ${remediation.TargetId ?? ''}`.trim() +
      `; ${REMEDIATION.resourceParameter}: ${describeParameter(bucketParameter)}` +
      (parameters[REMEDIATION.stateParameter] ? `; ${REMEDIATION.stateParameter}: ${describeParameter(parameters[REMEDIATION.stateParameter])}` : '');
    const evidence = { observed, expected: DOCUMENT_EXPECTED, where };
    if (remediation.TargetType !== 'SSM_DOCUMENT' || name !== REMEDIATION.documentName) {
      return {
        status: 'FAIL',
        evidence,
        hint: 'The rule checks bucket versioning, so the remediation must configure versioning: among the runbooks owned by Amazon, one says so in its name. No document of your own is needed.',
      };
    }
    if (bucketParameter?.ResourceValue?.Value !== 'RESOURCE_ID') {
      return {
        status: 'FAIL',
        evidence,
        hint: `A fixed value remediates one bucket only. Map ${REMEDIATION.resourceParameter} to the resource id, which Config fills in with each non-compliant bucket's name.`,
      };
    }
    if (state.length > 0 && !(state.length === 1 && state[0] === 'Enabled')) {
      return { status: 'FAIL', evidence, hint: `${REMEDIATION.stateParameter} decides what the runbook does to versioning; leave it at its default or set it to enable versioning.` };
    }
    return { status: 'PASS', evidence };
  },
};

const remediationAutomatic: Check<Facts> = {
  id: 'remediation-automatic',
  title: 'The remediation runs automatically, with retries',
  points: 15,
  taskStatement: '4.3',
  dependsOn: ['remediation-document'],
  hint: 'A manual remediation waits for someone to click. Make it automatic, and let it retry a few times in case a run fails transiently.',
  run(facts): Verdict {
    const remediation = remediationOf(facts)!;
    const attempts = remediation.MaximumAutomaticAttempts;
    const retrySeconds = remediation.RetryAttemptSeconds;
    const observed =
      `automatic: ${remediation.Automatic === true ? 'yes' : 'no'}; maximum automatic attempts: ${attempts ?? `not set (Config uses ${DEFAULT_AUTOMATIC_ATTEMPTS})`}` +
      `; retry after: ${retrySeconds === undefined ? 'not set' : `${retrySeconds} s`}`;
    const evidence = { observed, expected: 'an automatic remediation with at least 2 attempts', where: ruleWhere(facts) };
    if (remediation.Automatic !== true) return { status: 'FAIL', evidence };
    if ((attempts ?? DEFAULT_AUTOMATIC_ATTEMPTS) < 2) {
      return { status: 'FAIL', evidence, hint: 'One attempt means no retry: a single transient failure would leave the bucket non-compliant. Allow more attempts.' };
    }
    return { status: 'PASS', evidence };
  },
};

const roleTrusted: Check<Facts> = {
  id: 'automation-role-trusted',
  title: 'The remediation uses an automation role that SSM can assume',
  points: 15,
  taskStatement: '6.2',
  dependsOn: ['remediation-document'],
  hint:
    `Create an IAM role for Systems Manager Automation and pass its ARN to the runbook's ${REMEDIATION.roleParameter} parameter; ` +
    `its trust policy must let the service ${REMEDIATION.servicePrincipal} assume it.`,
  run(facts): Verdict {
    const where = ruleWhere(facts);
    const roleArn = roleArnOf(remediationOf(facts));
    const expected = `${REMEDIATION.roleParameter} set to the ARN of an existing IAM role whose trust policy allows ${REMEDIATION.servicePrincipal} to call sts:AssumeRole`;
    if (!roleArn) {
      return {
        status: 'FAIL',
        evidence: { observed: `the remediation passes no ${REMEDIATION.roleParameter}`, expected, where },
        hint: `Without ${REMEDIATION.roleParameter}, an automatic remediation has no permissions to act with. Pass the ARN of a role as a static value.`,
      };
    }
    if (!ROLE_ARN.test(roleArn)) {
      return { status: 'FAIL', evidence: { observed: `${REMEDIATION.roleParameter} is "${roleArn}", not an IAM role ARN`, expected, where } };
    }
    const role = facts.role ? need(facts.role) : null;
    const roleWhere = `IAM role ${roleArn}`;
    if (!role) return { status: 'FAIL', evidence: { observed: `role ${roleArn} does not exist`, expected, where: roleWhere } };
    let statements: TrustStatement[];
    try {
      const document = JSON.parse(role.AssumeRolePolicyDocument) as { Statement?: TrustStatement | TrustStatement[] };
      statements = Array.isArray(document.Statement) ? document.Statement : document.Statement ? [document.Statement] : [];
    } catch {
      statements = [];
    }
    const allows = statements.filter((s) => s.Effect === 'Allow' && coversSsmAssume(s));
    const denies = statements.filter((s) => s.Effect === 'Deny' && coversSsmAssume(s) && s.Condition === undefined);
    const principals = statements.flatMap((s) => (typeof s.Principal === 'string' ? [s.Principal] : [...asList(s.Principal?.Service), ...asList(s.Principal?.AWS)]));
    if (allows.length === 0 || denies.length > 0) {
      return {
        status: 'FAIL',
        evidence: {
          observed: `role ${role.RoleName} trusts ${principals.length ? principals.join(', ') : 'no principal'}${denies.length ? `, and denies ${REMEDIATION.servicePrincipal}` : ''}`,
          expected,
          where: roleWhere,
        },
        hint: `The trust policy says who may assume the role; SSM Automation assumes it as the service ${REMEDIATION.servicePrincipal}.`,
      };
    }
    const conditioned = allows.every((s) => s.Condition !== undefined) ? ' (with conditions)' : '';
    return { status: 'PASS', evidence: { observed: `role ${role.RoleName} trusts ${REMEDIATION.servicePrincipal} to assume it${conditioned}`, expected, where: roleWhere } };
  },
};

/** Each (action, bucket ARN) the simulation answered, with its decision. */
function decisions(results: readonly Jsonified<SimulationResult>[]): { action: string; resource: string; decision: string }[] {
  return results.flatMap((r) =>
    r.ResourceSpecificResults?.length
      ? r.ResourceSpecificResults.map((s) => ({ action: r.EvalActionName ?? '', resource: s.EvalResourceName ?? '', decision: s.EvalResourceDecision ?? '' }))
      : [{ action: r.EvalActionName ?? '', resource: r.EvalResourceName ?? '', decision: r.EvalDecision ?? '' }],
  );
}

const rolePermissions: Check<Facts> = {
  id: 'automation-role-permissions',
  title: "The automation role may do what the runbook does, on the lab's buckets",
  points: 20,
  taskStatement: '6.2',
  dependsOn: ['automation-role-trusted'],
  hint:
    "Give the automation role a policy that allows the runbook's S3 call on the lab's buckets — and not much more: " +
    'the runbook page lists what it calls. IAM policy simulation proves it.',
  run(facts): Verdict {
    const roleArn = roleArnOf(remediationOf(facts))!;
    const results = decisions(need(facts.simulation ?? { ok: true, value: [] }));
    const arns = facts.buckets.map((bucket) => bucketArn(bucket, facts.region));
    const wanted = REMEDIATION.requiredActions.flatMap((action) => arns.map((resource) => ({ action, resource })));
    const expected = `IAM policy simulation allows ${REMEDIATION.requiredActions.join(', ')} on ${arns.join(', ')}`;
    const where = `IAM role ${roleArn}`;
    const refused = wanted.map((w) => ({
      ...w,
      decision: results.find((r) => r.action.toLowerCase() === w.action.toLowerCase() && r.resource === w.resource)?.decision ?? 'not simulated',
    })).filter((w) => w.decision !== 'allowed');
    if (refused.length === 0) return { status: 'PASS', evidence: { observed: `allowed: ${REMEDIATION.requiredActions.join(', ')} on ${facts.buckets.length} buckets`, expected, where } };
    const explicit = refused.some((r) => r.decision === 'explicitDeny');
    return {
      status: 'FAIL',
      evidence: { observed: refused.map((r) => `${r.action} on ${r.resource}: ${r.decision}`).join('; '), expected, where },
      hint: explicit
        ? 'A Deny statement (or a permissions boundary) refuses the call; an explicit deny wins over every allow.'
        : 'Nothing allows the call yet (implicit deny). Add an identity policy to the role for that action on the buckets.',
    };
  },
};

const bucketsCompliant: Check<Facts> = {
  id: 'buckets-compliant',
  title: 'AWS Config reports every lab bucket COMPLIANT',
  points: 25,
  taskStatement: '5.2',
  hint: 'Once the remediation works, the rule re-evaluates each bucket after it changes. `doplab check --wait 10m` waits while AWS settles.',
  run(facts): Verdict {
    const where = ruleWhere(facts);
    const expected = `${facts.buckets.length} lab buckets COMPLIANT with the rule`;
    const evaluations = need(facts.compliance);
    if (evaluations === null) {
      return {
        status: 'FAIL',
        evidence: { observed: `rule ${facts.ruleName} does not exist`, expected, where },
        hint: `The lab's rule is gone; run doplab deploy ${LAB_ID} to recreate it.`,
      };
    }
    const executions = need(facts.executions);
    const judged = facts.buckets.map((bucket) => judgeBucket(bucket, evaluations, executions));
    const observed = judged.map((j) => j.observed).join('; ');
    const failed = judged.find((j) => j.status === 'FAIL');
    if (failed) return { status: 'FAIL', evidence: { observed, expected, where }, ...(failed.hint ? { hint: failed.hint } : {}) };
    if (judged.some((j) => j.status === 'PENDING')) return { status: 'PENDING', evidence: { observed, expected: `waiting for: ${expected}`, where } };
    return { status: 'PASS', evidence: { observed, expected, where } };
  },
};

// ---------------------------------------------------------------------------------------------
// The checker
// ---------------------------------------------------------------------------------------------

function missingRule<T>(fallback: T) {
  return (error: unknown): T => {
    // The rule was deleted: no compliance, no executions. buckets-compliant says so.
    if (awsErrorName(error) === 'NoSuchConfigRuleException') return fallback;
    throw error;
  };
}

export const checker = defineChecker({
  labId: LAB_ID,
  outputs: Outputs,
  actions: [
    'config:DescribeRemediationConfigurations',
    'config:GetComplianceDetailsByConfigRule',
    'config:DescribeRemediationExecutionStatus',
    'iam:GetRole',
    'iam:SimulatePrincipalPolicy',
  ],
  factsSchema,
  async gather({ outputs, region, client }): Promise<ConfigRemediationFacts> {
    const cfg = client(ConfigServiceClient);
    const iam = client(IAMClient);
    const ruleName = outputs.configRuleName;
    const buckets = outputs.targetBucketNames.split(',').filter((b) => b !== '');

    const remediationsRead = readFact(async () => {
      const page = await cfg.send(new DescribeRemediationConfigurationsCommand({ ConfigRuleNames: [ruleName] }));
      return jsonified(page.RemediationConfigurations ?? []);
    });
    // The role reads start as soon as the remediation names a role, without waiting for the compliance reads.
    const roleReads = remediationsRead.then(async (remediations) => {
      const roleArn = remediations.ok ? roleArnOf(labRemediation(remediations.value)) : undefined;
      const roleName = roleArn ? ROLE_ARN.exec(roleArn)?.[1] : undefined;
      if (!roleArn || !roleName) return {};
      const [role, simulation] = await Promise.all([
        readFact(() => readRole(iam, roleName)),
        readFact(async () => jsonified(await simulate(iam, roleArn, buckets, region))),
      ]);
      return { role, simulation };
    });
    const complianceRead = readFact(async (): Promise<Jsonified<EvaluationResult>[] | null> => {
      try {
        const results = await allPages(async (NextToken) => {
          const page = await cfg.send(
            new GetComplianceDetailsByConfigRuleCommand({
              ConfigRuleName: ruleName,
              ComplianceTypes: ['COMPLIANT', 'NON_COMPLIANT', 'NOT_APPLICABLE'],
              Limit: 100,
              NextToken,
            }),
          );
          return { items: page.EvaluationResults, next: page.NextToken };
        });
        return jsonified(results);
      } catch (error) {
        return missingRule(null)(error);
      }
    });
    const executionsRead = readFact(async () => {
      const page = await cfg
        .send(
          new DescribeRemediationExecutionStatusCommand({
            ConfigRuleName: ruleName,
            ResourceKeys: buckets.map((resourceId) => ({ resourceType: RESOURCE_TYPE, resourceId })),
          }),
        )
        .catch(missingRule({ RemediationExecutionStatuses: [] }));
      return jsonified(page.RemediationExecutionStatuses ?? []);
    });

    const [remediations, compliance, executions, roleFacts] = await Promise.all([remediationsRead, complianceRead, executionsRead, roleReads]);
    return { region, ruleName, buckets, remediations, compliance, executions, ...roleFacts };
  },
  checks: [remediationDocument, remediationAutomatic, roleTrusted, rolePermissions, bucketsCompliant],
});
