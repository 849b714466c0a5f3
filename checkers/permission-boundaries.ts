// Checker of the permission-boundaries lab: SDK only (never aws-cdk-lib), read-only calls. Every judgement comes from the
// IAM policy simulator (SimulatePrincipalPolicy of the AppTeam role, SimulateCustomPolicy of the boundary), never from
// reading policy text: the simulator applies AWS's own evaluation logic, conditions and context keys included.
import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  SimulateCustomPolicyCommand,
  SimulatePrincipalPolicyCommand,
  type AttachedPolicy,
  type ContextEntry,
  type EvaluationResult,
} from '@aws-sdk/client-iam';
import { z } from 'zod';
import { awsErrorName } from '../lib/aws/errors';
import { defineChecker, type Check, type Verdict } from '../lib/checker';
import { factSchema, need, readFact, type Fact } from '../lib/facts';
import { allPages, jsonified, partitionOf, type Jsonified } from '../lib/sdk-facts';
import {
  ADMIN_POLICY_NAME,
  APP_PATH,
  BOUNDARY_POLICY_NAME,
  LAB_ID,
  LAMBDA_SERVICE,
  Outputs,
  awsManagedPolicyArn,
  iamArnPrefix,
} from '../labs/permission-boundaries/contract';

// ---------------------------------------------------------------------------------------------
// Facts
// ---------------------------------------------------------------------------------------------

/** One simulated decision as IAM returns it (EvalDecision, MatchedStatements, MissingContextValues…). */
export type Simulation = Jsonified<EvaluationResult>;

/** The boundary policy's default version, as GetPolicy and GetPolicyVersion return it. */
export interface BoundaryFacts {
  readonly Arn: string;
  readonly DefaultVersionId: string;
  /** The default version's document, decoded from URL encoding (JSON text). */
  readonly Document: string;
}

/** The situations the AppTeam role is simulated in: one SimulatePrincipalPolicy call each. */
export const SCENARIO_IDS = ['withBoundary', 'withoutBoundary', 'otherBoundary', 'boundaryPolicy', 'passToLambda', 'passToEc2'] as const;
export type ScenarioId = (typeof SCENARIO_IDS)[number];

/** What gather reads; each AWS read is a Fact, so one failure only ERRORs the checks that need it. */
export interface PermissionBoundariesFacts {
  readonly region: string;
  readonly account: string;
  readonly appTeamRoleArn: string;
  readonly boundaryPolicyArn: string;
  readonly appBucketName: string;
  readonly appTableArn: string;
  /** The boundary's default version; null when the policy does not exist. */
  readonly boundary: Fact<BoundaryFacts | null>;
  /** SimulateCustomPolicy of an allow-everything identity policy under the boundary; absent when there is no boundary. */
  readonly boundarySimulation?: Fact<Simulation[]>;
  /** SimulatePrincipalPolicy of the AppTeam role, per scenario. */
  readonly appTeam: { readonly [S in ScenarioId]: Fact<Simulation[]> };
  /** ListAttachedRolePolicies of the AppTeam role. */
  readonly attachedPolicies: Fact<Jsonified<AttachedPolicy>[]>;
  /** SimulatePrincipalPolicy of policy edits on the customer managed policies attached to AppTeam; absent when there are none. */
  readonly attachedPolicyEdits?: Fact<Simulation[]>;
}

const statementSchema = z.looseObject({ SourcePolicyId: z.string().optional(), SourcePolicyType: z.string().optional() });
const decisionFields = {
  EvalDecision: z.string().optional(),
  MatchedStatements: z.array(statementSchema).optional(),
  MissingContextValues: z.array(z.string()).optional(),
};
const simulationSchema = z.looseObject({
  EvalActionName: z.string(),
  EvalResourceName: z.string().optional(),
  ...decisionFields,
  PermissionsBoundaryDecisionDetail: z.looseObject({ AllowedByPermissionsBoundary: z.boolean().optional() }).optional(),
  ResourceSpecificResults: z
    .array(
      z.looseObject({
        EvalResourceName: z.string(),
        EvalResourceDecision: z.string().optional(),
        MatchedStatements: z.array(statementSchema).optional(),
        MissingContextValues: z.array(z.string()).optional(),
        PermissionsBoundaryDecisionDetail: z.looseObject({ AllowedByPermissionsBoundary: z.boolean().optional() }).optional(),
      }),
    )
    .optional(),
});
const simulations = factSchema(z.array(simulationSchema));

const schema = z.object({
  region: z.string().min(1),
  account: z.string().regex(/^\d{12}$/),
  appTeamRoleArn: z.string().min(1),
  boundaryPolicyArn: z.string().min(1),
  appBucketName: z.string().min(1),
  appTableArn: z.string().min(1),
  boundary: factSchema(z.object({ Arn: z.string(), DefaultVersionId: z.string(), Document: z.string() }).nullable()),
  boundarySimulation: simulations.optional(),
  appTeam: z.object(Object.fromEntries(SCENARIO_IDS.map((id) => [id, simulations])) as Record<ScenarioId, typeof simulations>),
  attachedPolicies: factSchema(z.array(z.looseObject({ PolicyName: z.string().optional(), PolicyArn: z.string().optional() }))),
  attachedPolicyEdits: simulations.optional(),
});

// The schema checks what the checks rely on and passes the rest through; the facts type keeps the SDK's shapes.
const factsSchema = schema as unknown as z.ZodType<PermissionBoundariesFacts>;

// ---------------------------------------------------------------------------------------------
// What is simulated (pure)
// ---------------------------------------------------------------------------------------------

/** The ARNs the simulations are about. The probe roles need not exist: the simulator evaluates any ARN. */
export interface Targets {
  /** A role the app team would make for a function: under /app/. */
  readonly appRole: string;
  /** A role outside /app/ (think: an administrator's role). */
  readonly outsideRole: string;
  readonly appTeamRole: string;
  readonly boundary: string;
  /** Another policy as a boundary: AdministratorAccess, the boundary that bounds nothing. */
  readonly otherBoundary: string;
  /** What an escalation attaches. */
  readonly adminPolicy: string;
}

export function targetsOf(facts: Pick<PermissionBoundariesFacts, 'region' | 'account' | 'appTeamRoleArn' | 'boundaryPolicyArn'>): Targets {
  const partition = partitionOf(facts.region);
  const prefix = iamArnPrefix(partition, facts.account);
  const admin = awsManagedPolicyArn(partition, ADMIN_POLICY_NAME);
  return {
    appRole: `${prefix}role${APP_PATH}doplab-probe-function-role`,
    outsideRole: `${prefix}role/doplab-probe-outside-app`,
    appTeamRole: facts.appTeamRoleArn,
    boundary: facts.boundaryPolicyArn,
    otherBoundary: admin,
    adminPolicy: admin,
  };
}

/** Every way to change a role's permissions, trust or boundary. */
export const ROLE_CHANGE_ACTIONS = [
  'iam:CreateRole',
  'iam:PutRolePolicy',
  'iam:AttachRolePolicy',
  'iam:DetachRolePolicy',
  'iam:DeleteRolePolicy',
  'iam:UpdateAssumeRolePolicy',
  'iam:PutRolePermissionsBoundary',
  'iam:DeleteRolePermissionsBoundary',
] as const;

/** Every way to change a managed policy in place, or delete it. */
export const POLICY_CHANGE_ACTIONS = ['iam:CreatePolicyVersion', 'iam:DeletePolicyVersion', 'iam:SetDefaultPolicyVersion', 'iam:DeletePolicy'] as const;

/** What a simulation call asks. */
export interface Scenario {
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly context: readonly ContextEntry[];
}

function entry(key: string, value: string): ContextEntry {
  return { ContextKeyName: key, ContextKeyValues: [value], ContextKeyType: 'string' };
}

/** The SimulatePrincipalPolicy calls made for the AppTeam role. */
export function scenarios(t: Targets): { readonly [S in ScenarioId]: Scenario } {
  const attachAdmin = entry('iam:PolicyARN', t.adminPolicy);
  return {
    // A role carrying (or created with) the boundary; for the AppTeam role itself, a boundary it would set on itself.
    withBoundary: {
      actions: ROLE_CHANGE_ACTIONS,
      resources: [t.appRole, t.outsideRole, t.appTeamRole],
      context: [entry('iam:PermissionsBoundary', t.boundary), attachAdmin],
    },
    withoutBoundary: { actions: ROLE_CHANGE_ACTIONS, resources: [t.appRole, t.appTeamRole], context: [attachAdmin] },
    otherBoundary: { actions: ROLE_CHANGE_ACTIONS, resources: [t.appRole], context: [entry('iam:PermissionsBoundary', t.otherBoundary), attachAdmin] },
    boundaryPolicy: { actions: POLICY_CHANGE_ACTIONS, resources: [t.boundary], context: [] },
    passToLambda: { actions: ['iam:PassRole'], resources: [t.appRole, t.outsideRole], context: [entry('iam:PassedToService', LAMBDA_SERVICE)] },
    passToEc2: { actions: ['iam:PassRole'], resources: [t.appRole], context: [entry('iam:PassedToService', 'ec2.amazonaws.com')] },
  };
}

/** The identity policy the boundary is simulated under: everything, as AdministratorAccess grants. */
export const ALLOW_EVERYTHING = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] });

/** What the boundary must let through (the app's data and logs) and stop (IAM, other data, managing the bucket and table). */
export function boundaryProbes(facts: Pick<PermissionBoundariesFacts, 'region' | 'account' | 'appBucketName' | 'appTableArn'>): Expectation[] {
  const partition = partitionOf(facts.region);
  const object = `arn:${partition}:s3:::${facts.appBucketName}/doplab-probe.json`;
  const otherObject = `arn:${partition}:s3:::doplab-probe-other-bucket/doplab-probe.json`;
  const stream = `arn:${partition}:logs:${facts.region}:${facts.account}:log-group:/aws/lambda/app-function:log-stream:doplab-probe`;
  const otherTable = facts.appTableArn.replace(/table\/.*$/, 'table/doplab-probe-other-table');
  const appRole = `${iamArnPrefix(partition, facts.account)}role${APP_PATH}doplab-probe-function-role`;
  const allow = (action: string, resource: string, what: string): Expectation => ({ scenario: 'boundary', action, resource, want: 'allowed', what });
  const deny = (action: string, resource: string, what: string): Expectation => ({ scenario: 'boundary', action, resource, want: 'denied', what });
  return [
    allow('s3:GetObject', object, 'reading an object of the app bucket'),
    allow('s3:PutObject', object, 'writing an object of the app bucket'),
    allow('dynamodb:GetItem', facts.appTableArn, 'reading an item of the app table'),
    allow('dynamodb:PutItem', facts.appTableArn, 'writing an item of the app table'),
    allow('dynamodb:Query', facts.appTableArn, 'querying the app table'),
    allow('logs:CreateLogStream', stream, "creating a function's log stream"),
    allow('logs:PutLogEvents', stream, "writing a function's logs"),
    deny('iam:ListUsers', '*', 'listing IAM users'),
    deny('iam:CreateRole', appRole, 'creating a role'),
    deny('s3:GetObject', otherObject, 'reading another bucket'),
    deny('s3:PutBucketPolicy', `arn:${partition}:s3:::${facts.appBucketName}`, "changing the app bucket's policy"),
    deny('dynamodb:GetItem', otherTable, 'reading another table'),
    deny('dynamodb:DeleteTable', facts.appTableArn, 'deleting the app table'),
  ];
}

// ---------------------------------------------------------------------------------------------
// Judging helpers (pure)
// ---------------------------------------------------------------------------------------------

type Facts = PermissionBoundariesFacts;

/** One simulated request and the decision a check expects for it. */
export interface Expectation {
  /** The simulation it is read from: an AppTeam scenario, `boundary`, or `attachedPolicies`. */
  readonly scenario: ScenarioId | 'boundary' | 'attachedPolicies';
  readonly action: string;
  readonly resource: string;
  readonly want: 'allowed' | 'denied';
  /** The request in words, e.g. `creating a role under /app/ without the boundary`. */
  readonly what: string;
}

/** One decision of the simulator, per action and resource. */
interface Decision {
  readonly action: string;
  readonly resource: string;
  readonly decision: string;
  readonly matched: readonly string[];
  readonly missing: readonly string[];
}

/** Each (action, resource) a simulation answered: IAM answers per resource in ResourceSpecificResults, or in the result itself. */
export function decisionsOf(results: readonly Simulation[]): Decision[] {
  const matched = (statements: Simulation['MatchedStatements']) => [...new Set((statements ?? []).map((s) => s.SourcePolicyId ?? s.SourcePolicyType ?? '?'))];
  return results.flatMap((r) =>
    r.ResourceSpecificResults?.length
      ? r.ResourceSpecificResults.map((s) => ({
          action: r.EvalActionName ?? '',
          resource: s.EvalResourceName ?? '',
          decision: s.EvalResourceDecision ?? '',
          matched: matched(s.MatchedStatements ?? r.MatchedStatements),
          missing: s.MissingContextValues ?? r.MissingContextValues ?? [],
        }))
      : [{ action: r.EvalActionName ?? '', resource: r.EvalResourceName ?? '*', decision: r.EvalDecision ?? '', matched: matched(r.MatchedStatements), missing: r.MissingContextValues ?? [] }],
  );
}

/** An expectation with what the simulator decided. */
interface Outcome extends Expectation {
  readonly decision: string;
  readonly matched: readonly string[];
  readonly missing: readonly string[];
  readonly ok: boolean;
}

function judge(expectations: readonly Expectation[], read: (scenario: Expectation['scenario']) => readonly Simulation[]): Outcome[] {
  const cache = new Map<string, Decision[]>();
  return expectations.map((e) => {
    let decisions = cache.get(e.scenario);
    if (!decisions) cache.set(e.scenario, (decisions = decisionsOf(read(e.scenario))));
    const found = decisions.find((d) => d.action.toLowerCase() === e.action.toLowerCase() && d.resource === e.resource);
    const decision = found?.decision ?? 'not simulated';
    const ok = found !== undefined && (e.want === 'allowed' ? decision === 'allowed' : decision === 'implicitDeny' || decision === 'explicitDeny');
    return { ...e, decision, matched: found?.matched ?? [], missing: found?.missing ?? [], ok };
  });
}

function describeOutcome(o: Outcome): string {
  const by = o.decision === 'allowed' || o.decision === 'explicitDeny' ? (o.matched.length ? ` by ${o.matched.join(', ')}` : '') : '';
  const missing = o.missing.length ? ` (the simulator lacked context ${o.missing.join(', ')})` : '';
  return `${o.action} ${o.what}: ${o.decision}${by}${missing}`;
}

/** The verdict of a list of outcomes: PASS when all are as expected, else FAIL listing the others. */
function verdict(outcomes: readonly Outcome[], expected: string, where: string, hint?: (wrong: readonly Outcome[]) => string | undefined): Verdict {
  const wrong = outcomes.filter((o) => !o.ok);
  if (wrong.length === 0) {
    const allowed = outcomes.filter((o) => o.want === 'allowed').length;
    const denied = outcomes.length - allowed;
    const observed = allowed === 0 ? `all ${denied} requests denied` : `${allowed} of ${outcomes.length} requests allowed, the other ${denied} denied`;
    return { status: 'PASS', evidence: { observed: `${observed}, as expected`, expected, where } };
  }
  const chosen = hint?.(wrong);
  return { status: 'FAIL', evidence: { observed: wrong.map(describeOutcome).join('; '), expected, where }, ...(chosen ? { hint: chosen } : {}) };
}

function appTeamReader(facts: Facts) {
  return (scenario: Expectation['scenario']): readonly Simulation[] => {
    if (scenario === 'boundary') return need(facts.boundarySimulation ?? { ok: true, value: [] });
    if (scenario === 'attachedPolicies') return need(facts.attachedPolicyEdits ?? { ok: true, value: [] });
    return need(facts.appTeam[scenario]);
  };
}

function roleName(arn: string): string {
  return arn.split('/').pop() ?? arn;
}

function appTeamWhere(facts: Facts): string {
  return `IAM role ${roleName(facts.appTeamRoleArn)} (SimulatePrincipalPolicy)`;
}

const is = (action: string) => (o: Outcome) => o.action === action;

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

const boundaryScope: Check<Facts> = {
  id: 'boundary-scope',
  title: `${BOUNDARY_POLICY_NAME} caps a role at the app's bucket, table and logs (closes: a bounded role that is still an administrator)`,
  points: 20,
  taskStatement: '6.1',
  hint:
    `Create a customer managed policy named ${BOUNDARY_POLICY_NAME} (default path /). As a permissions boundary it is a ceiling: a role ` +
    'under it can do only what both its own policies and the boundary allow, so the boundary names the app bucket, the app table and logs — nothing else.',
  run(facts): Verdict {
    const where = `managed policy ${facts.boundaryPolicyArn} (SimulateCustomPolicy: allow-everything identity policy under this boundary)`;
    const probes = boundaryProbes(facts);
    const expected =
      `for a role allowed everything but bounded by ${BOUNDARY_POLICY_NAME}, allowed: ${probes.filter((p) => p.want === 'allowed').map((p) => p.what).join(', ')}; ` +
      `denied: ${probes.filter((p) => p.want === 'denied').map((p) => p.what).join(', ')}`;
    const boundary = need(facts.boundary);
    if (!boundary) return { status: 'FAIL', evidence: { observed: `policy ${facts.boundaryPolicyArn} does not exist`, expected, where } };
    return verdict(judge(probes, appTeamReader(facts)), expected, `${where}, default version ${boundary.DefaultVersionId}`, (wrong) =>
      wrong.some((o) => o.want === 'denied')
        ? 'The boundary lets through more than the app needs: a boundary that allows IAM, or every bucket, leaves the escalation open. Allow actions on the app bucket, table and logs only.'
        : "The boundary stops what the app's functions need: whatever it does not allow, no role under it can do, whatever its own policies say.",
    );
  },
};

const createRequiresBoundary: Check<Facts> = {
  id: 'create-requires-boundary',
  title: 'AppTeam creates and changes roles only under /app/ and only with the boundary (closes: creating an unbounded role and attaching AdministratorAccess)',
  points: 20,
  taskStatement: '6.1',
  hint:
    'Condition the role actions on iam:PermissionsBoundary being the ARN of the boundary policy, and limit their resource to roles under /app/ ' +
    '(a role ARN carries its path).',
  run(facts): Verdict {
    const t = targetsOf(facts);
    const actions = ['iam:CreateRole', 'iam:PutRolePolicy', 'iam:AttachRolePolicy', 'iam:DetachRolePolicy', 'iam:DeleteRolePolicy'];
    const expectations = actions.flatMap((action): Expectation[] => [
      { scenario: 'withBoundary', action, resource: t.appRole, want: 'allowed', what: `on a role under ${APP_PATH} with the boundary` },
      { scenario: 'withoutBoundary', action, resource: t.appRole, want: 'denied', what: `on a role under ${APP_PATH} without a boundary` },
      { scenario: 'otherBoundary', action, resource: t.appRole, want: 'denied', what: `on a role under ${APP_PATH} with ${ADMIN_POLICY_NAME} as boundary` },
      { scenario: 'withBoundary', action, resource: t.outsideRole, want: 'denied', what: `on a role outside ${APP_PATH} with the boundary` },
    ]);
    const expected = `${actions.join(', ')} allowed on roles under ${APP_PATH} with iam:PermissionsBoundary = ${facts.boundaryPolicyArn}; denied without it, with another boundary, or outside ${APP_PATH}`;
    return verdict(judge(expectations, appTeamReader(facts)), expected, appTeamWhere(facts), (wrong) => {
      if (wrong.some((o) => o.want === 'allowed')) {
        return (
          `The app team must still be able to make roles for its functions: allow these actions on roles under ${APP_PATH} when iam:PermissionsBoundary ` +
          'is the boundary (the check gives the simulator iam:PermissionsBoundary and iam:PolicyARN, no other context key).'
        );
      }
      if (wrong.every((o) => o.resource === t.outsideRole)) return `The resource must be roles under ${APP_PATH} only: a role's path is part of its ARN.`;
      return undefined;
    });
  },
};

const noBoundaryRemoval: Check<Facts> = {
  id: 'no-boundary-removal',
  title: 'AppTeam cannot remove or replace the boundary of its roles (closes: create a bounded role, then take the boundary off)',
  points: 15,
  taskStatement: '6.1',
  hint:
    'iam:DeleteRolePermissionsBoundary takes the ceiling off a role, and iam:PutRolePermissionsBoundary swaps it: nothing may allow the first, ' +
    'and the second only with iam:PermissionsBoundary = the boundary.',
  run(facts): Verdict {
    const t = targetsOf(facts);
    const expectations: Expectation[] = [
      { scenario: 'withBoundary', action: 'iam:DeleteRolePermissionsBoundary', resource: t.appRole, want: 'denied', what: `on a role under ${APP_PATH} that has the boundary` },
      { scenario: 'withoutBoundary', action: 'iam:DeleteRolePermissionsBoundary', resource: t.appRole, want: 'denied', what: `on a role under ${APP_PATH}` },
      { scenario: 'otherBoundary', action: 'iam:DeleteRolePermissionsBoundary', resource: t.appRole, want: 'denied', what: `on a role under ${APP_PATH} with another boundary` },
      { scenario: 'otherBoundary', action: 'iam:PutRolePermissionsBoundary', resource: t.appRole, want: 'denied', what: `setting ${ADMIN_POLICY_NAME} as boundary of a role under ${APP_PATH}` },
    ];
    const expected = `iam:DeleteRolePermissionsBoundary, and iam:PutRolePermissionsBoundary with another policy, denied on roles under ${APP_PATH}`;
    return verdict(judge(expectations, appTeamReader(facts)), expected, appTeamWhere(facts), (wrong) =>
      wrong.some(is('iam:PutRolePermissionsBoundary')) && !wrong.some(is('iam:DeleteRolePermissionsBoundary'))
        ? 'A boundary condition on CreateRole alone is not enough: PutRolePermissionsBoundary replaces the boundary of a role that already exists. Condition it on iam:PermissionsBoundary too.'
        : undefined,
    );
  },
};

const boundaryImmutable: Check<Facts> = {
  id: 'boundary-immutable',
  title: 'AppTeam cannot change or delete the boundary policy (closes: rewrite the boundary so it allows everything)',
  points: 15,
  taskStatement: '6.1',
  hint:
    `A managed policy changes by new versions: deny iam:CreatePolicyVersion, iam:SetDefaultPolicyVersion, iam:DeletePolicyVersion and iam:DeletePolicy on ${BOUNDARY_POLICY_NAME}.`,
  run(facts): Verdict {
    const t = targetsOf(facts);
    const expectations = POLICY_CHANGE_ACTIONS.map((action): Expectation => ({ scenario: 'boundaryPolicy', action, resource: t.boundary, want: 'denied', what: `on ${BOUNDARY_POLICY_NAME}` }));
    const expected = `${POLICY_CHANGE_ACTIONS.join(', ')} denied on ${facts.boundaryPolicyArn}`;
    return verdict(judge(expectations, appTeamReader(facts)), expected, appTeamWhere(facts), (wrong) =>
      !wrong.some(is('iam:DeletePolicy'))
        ? 'Denying DeletePolicy is not enough: a new default version (iam:CreatePolicyVersion with SetAsDefault, or iam:SetDefaultPolicyVersion) rewrites the boundary in place.'
        : undefined,
    );
  },
};

const SELF_ACTIONS = ROLE_CHANGE_ACTIONS.filter((a) => a !== 'iam:CreateRole');

const noSelfEscalation: Check<Facts> = {
  id: 'no-self-escalation',
  title: 'AppTeam cannot change its own permissions (closes: attach AdministratorAccess to itself, or edit a policy it carries)',
  points: 15,
  taskStatement: '6.1',
  hint:
    "Its own role's ARN must fall outside everything that allows role changes; and a customer managed policy attached to it must not be editable " +
    'by it (iam:CreatePolicyVersion, iam:SetDefaultPolicyVersion).',
  run(facts): Verdict {
    const t = targetsOf(facts);
    const own = need(facts.attachedPolicies)
      .map((p) => p.PolicyArn ?? '')
      .filter((arn) => arn !== '' && !isAwsManaged(arn));
    const expectations: Expectation[] = [
      ...SELF_ACTIONS.map((action): Expectation => ({ scenario: 'withoutBoundary', action, resource: t.appTeamRole, want: 'denied', what: 'on its own role' })),
      ...SELF_ACTIONS.map((action): Expectation => ({ scenario: 'withBoundary', action, resource: t.appTeamRole, want: 'denied', what: 'on its own role, with the boundary' })),
      ...own.flatMap((arn) =>
        ['iam:CreatePolicyVersion', 'iam:SetDefaultPolicyVersion'].map((action): Expectation => ({ scenario: 'attachedPolicies', action, resource: arn, want: 'denied', what: `on its own policy ${arn}` })),
      ),
    ];
    const expected =
      `${SELF_ACTIONS.join(', ')} denied on ${facts.appTeamRoleArn}, with or without a boundary in the request` +
      (own.length ? `; iam:CreatePolicyVersion and iam:SetDefaultPolicyVersion denied on ${own.join(', ')}` : '; no customer managed policy attached to it');
    return verdict(judge(expectations, appTeamReader(facts)), expected, appTeamWhere(facts), (wrong) =>
      wrong.every((o) => o.scenario === 'attachedPolicies')
        ? 'A customer managed policy attached to the AppTeam role is part of its permissions: if it may create a new default version of it, it may grant itself anything.'
        : undefined,
    );
  },
};

const passRoleScoped: Check<Facts> = {
  id: 'pass-role-scoped',
  title: 'AppTeam passes only /app/ roles, and only to Lambda (closes: hand an administrator role to a service it controls)',
  points: 15,
  taskStatement: '6.1',
  hint: `Limit iam:PassRole to roles under ${APP_PATH}, with the condition key iam:PassedToService naming the Lambda service.`,
  run(facts): Verdict {
    const t = targetsOf(facts);
    const expectations: Expectation[] = [
      { scenario: 'passToLambda', action: 'iam:PassRole', resource: t.appRole, want: 'allowed', what: `of a role under ${APP_PATH} to ${LAMBDA_SERVICE}` },
      { scenario: 'passToEc2', action: 'iam:PassRole', resource: t.appRole, want: 'denied', what: `of a role under ${APP_PATH} to ec2.amazonaws.com` },
      { scenario: 'passToLambda', action: 'iam:PassRole', resource: t.outsideRole, want: 'denied', what: `of a role outside ${APP_PATH} to ${LAMBDA_SERVICE}` },
    ];
    const expected = `iam:PassRole allowed for roles under ${APP_PATH} with iam:PassedToService = ${LAMBDA_SERVICE} only`;
    return verdict(judge(expectations, appTeamReader(facts)), expected, appTeamWhere(facts), (wrong) => {
      if (wrong.some((o) => o.want === 'allowed')) return `The app team must still pass its roles to Lambda: allow iam:PassRole on roles under ${APP_PATH} to ${LAMBDA_SERVICE}.`;
      if (wrong.some((o) => o.resource === t.outsideRole)) {
        const anyService = wrong.some((o) => o.scenario === 'passToEc2') ? ', and the condition key iam:PassedToService to name the service' : '';
        return `iam:PassRole on every role lets the team hand any role, an administrator's too, to a function it controls: scope the resource to roles under ${APP_PATH}${anyService}.`;
      }
      return undefined;
    });
  },
};

function isAwsManaged(policyArn: string): boolean {
  return /^arn:[^:]+:iam::aws:policy\//.test(policyArn);
}

// ---------------------------------------------------------------------------------------------
// Gather
// ---------------------------------------------------------------------------------------------

async function readBoundary(iam: IAMClient, arn: string): Promise<BoundaryFacts | null> {
  try {
    const policy = (await iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy;
    const versionId = policy?.DefaultVersionId ?? '';
    const version = (await iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: versionId }))).PolicyVersion;
    // GetPolicyVersion answers the document URL-encoded.
    return { Arn: policy?.Arn ?? arn, DefaultVersionId: versionId, Document: decodeURIComponent(version?.Document ?? '') };
  } catch (error) {
    if (awsErrorName(error) === 'NoSuchEntity' || awsErrorName(error) === 'NoSuchEntityException') return null;
    throw error;
  }
}

async function simulatePrincipal(iam: IAMClient, roleArn: string, scenario: Scenario): Promise<Simulation[]> {
  const results = await allPages(async (Marker) => {
    const page = await iam.send(
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: roleArn,
        ActionNames: [...scenario.actions],
        ResourceArns: [...scenario.resources],
        ...(scenario.context.length ? { ContextEntries: [...scenario.context] } : {}),
        Marker,
      }),
    );
    return { items: page.EvaluationResults, next: page.IsTruncated ? page.Marker : undefined };
  });
  return jsonified(results);
}

/** SimulateCustomPolicy of the probes under the boundary: one call per resource, so that every action is asked only of a resource it acts on. */
async function simulateBoundary(iam: IAMClient, document: string, probes: readonly Expectation[]): Promise<Simulation[]> {
  const byResource = new Map<string, string[]>();
  for (const p of probes) byResource.set(p.resource, [...(byResource.get(p.resource) ?? []), p.action]);
  const calls = [...byResource].map(([resource, actions]) =>
    allPages(async (Marker) => {
      const page = await iam.send(
        new SimulateCustomPolicyCommand({
          PolicyInputList: [ALLOW_EVERYTHING],
          PermissionsBoundaryPolicyInputList: [document],
          ActionNames: actions,
          ResourceArns: [resource],
          Marker,
        }),
      );
      return { items: page.EvaluationResults, next: page.IsTruncated ? page.Marker : undefined };
    }),
  );
  return jsonified((await Promise.all(calls)).flat());
}

export const checker = defineChecker({
  labId: LAB_ID,
  outputs: Outputs,
  actions: [
    'iam:GetPolicy',
    'iam:GetPolicyVersion',
    'iam:ListAttachedRolePolicies',
    'iam:SimulateCustomPolicy',
    'iam:SimulatePrincipalPolicy',
  ],
  factsSchema,
  async gather({ outputs, account, region, client }): Promise<PermissionBoundariesFacts> {
    const iam = client(IAMClient);
    const base = {
      region,
      account,
      appTeamRoleArn: outputs.appTeamRoleArn,
      boundaryPolicyArn: outputs.boundaryPolicyArn,
      appBucketName: outputs.appBucketName,
      appTableArn: outputs.appTableArn,
    };
    const t = targetsOf(base);
    const calls = scenarios(t);
    const appTeamReads = Promise.all(SCENARIO_IDS.map(async (id) => [id, await readFact(() => simulatePrincipal(iam, t.appTeamRole, calls[id]))] as const));

    const boundaryRead = (async () => {
      const boundary = await readFact(() => readBoundary(iam, base.boundaryPolicyArn));
      if (!boundary.ok || !boundary.value) return { boundary };
      const document = boundary.value.Document;
      return { boundary, boundarySimulation: await readFact(() => simulateBoundary(iam, document, boundaryProbes(base))) };
    })();

    const attachedRead = (async () => {
      const attachedPolicies = await readFact(async () =>
        jsonified(
          await allPages(async (Marker) => {
            const page = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName(t.appTeamRole), Marker }));
            return { items: page.AttachedPolicies, next: page.IsTruncated ? page.Marker : undefined };
          }),
        ),
      );
      const own = attachedPolicies.ok ? attachedPolicies.value.map((p) => p.PolicyArn ?? '').filter((arn) => arn !== '' && !isAwsManaged(arn)) : [];
      if (own.length === 0) return { attachedPolicies };
      const edits = { actions: ['iam:CreatePolicyVersion', 'iam:SetDefaultPolicyVersion'], resources: own, context: [] };
      return { attachedPolicies, attachedPolicyEdits: await readFact(() => simulatePrincipal(iam, t.appTeamRole, edits)) };
    })();

    const [appTeam, boundaryFacts, attachedFacts] = await Promise.all([appTeamReads, boundaryRead, attachedRead]);
    return {
      ...base,
      ...boundaryFacts,
      appTeam: Object.fromEntries(appTeam) as PermissionBoundariesFacts['appTeam'],
      ...attachedFacts,
    };
  },
  checks: [boundaryScope, createRequiresBoundary, noBoundaryRemoval, boundaryImmutable, noSelfEscalation, passRoleScoped],
});
