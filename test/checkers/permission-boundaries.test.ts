import 'aws-sdk-client-mock-jest';
import { join } from 'node:path';
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  DeletePolicyVersionCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListPolicyVersionsCommand,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
  SimulateCustomPolicyCommand,
  SimulatePrincipalPolicyCommand,
} from '@aws-sdk/client-iam';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { ALLOW_EVERYTHING, SCENARIO_IDS, boundaryProbes, checker, targetsOf, type PermissionBoundariesFacts } from '../../checkers/permission-boundaries';
import { AwsSession } from '../../lib/aws/clients';
import type { Status } from '../../lib/checker';
import { checkerActions, gatherFacts } from '../../lib/engine';
import { DoplabError } from '../../lib/errors';
import { loadFactsFile } from '../../lib/facts-file';
import type { SolutionContext } from '../../lib/lab';
import { APP_TEAM_POLICY_NAME, APP_TEAM_ROLE_NAME, BOUNDARY_POLICY_NAME, Outputs } from '../../labs/permission-boundaries/contract';
import { solutionActions } from '../../labs/permission-boundaries/calls';
import { lab } from '../../labs/permission-boundaries/lab';
import { DEMO_ROLE_NAME, boundaryDocument, delegationDocument, solve } from '../../labs/permission-boundaries/solution';
import {
  ACCOUNT,
  APP_TEAM_ROLE_ARN,
  BOUNDARY_ARN,
  BUCKET,
  EXTRAS_ARN,
  REGION,
  STACK_NAME,
  TABLE_ARN,
  TARGETS,
  editableOwnPolicyWorld,
  mockWorld,
  solvedWorld,
  startingWorld,
  type AnswerWrapper,
  type IamWorld,
} from '../fixtures/permission-boundaries/iam-world';
import { CREDENTIALS, FACTS_FILES, IDENTITY, SDK_MODULES, freshFactsFile, gatherWorld } from '../fixtures/permission-boundaries/gather-world';
import { MockedSession, awsError } from '../support/mocked-session';
import { checkFinder, factsRunner, itDeclaresChecks } from '../support/checker-tests';

const FIXTURES = join(__dirname, '..', 'fixtures', 'permission-boundaries');
const CHECK_IDS = ['boundary-scope', 'create-requires-boundary', 'no-boundary-removal', 'boundary-immutable', 'no-self-escalation', 'pass-role-scoped'] as const;
const APP_ROLE = `arn:aws:iam::${ACCOUNT}:role/app/doplab-probe-function-role`;
const OUTSIDE_ROLE = `arn:aws:iam::${ACCOUNT}:role/doplab-probe-outside-app`;
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';

function load(path: string) {
  return loadFactsFile(path, checker.labId, checker.factsSchema);
}

const run = factsRunner(checker, ACCOUNT, REGION);

const check = checkFinder(CHECK_IDS);

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- fixtures are edited freely in tests
type Mutable<T> = { -readonly [K in keyof T]: any };
const solvedFacts = () => structuredClone(load(lab.examples.solved).facts) as Mutable<PermissionBoundariesFacts>;
const fixture = (name: string) => structuredClone(load(join(FIXTURES, `${name}.json`)).facts) as Mutable<PermissionBoundariesFacts>;

describe('permission-boundaries checker', () => {
  describe('declaration', () => {
    // Read-only: the simulator and the reads that feed it.
    itDeclaresChecks(checker, ['6.1'], CHECK_IDS, [
      'cloudformation:DescribeStacks',
      'iam:GetPolicy',
      'iam:GetPolicyVersion',
      'iam:ListAttachedRolePolicies',
      'iam:SimulateCustomPolicy',
      'iam:SimulatePrincipalPolicy',
    ]);

    it('names in each title the escalation path the check closes', () => {
      for (const c of checker.checks) expect([c.id, c.title]).toEqual([c.id, expect.stringMatching(/\(closes: .+\)$/)]);
    });
  });

  describe('checks on facts', () => {
    it('scores 0 on the starting state, every check failing with a hint', () => {
      const result = run(load(lab.examples.starting).facts);
      expect(result.score).toBe(0);
      expect(result.checks.map((c) => c.status)).toEqual(CHECK_IDS.map(() => 'FAIL'));
      for (const c of result.checks) expect(c.hint).toBeTruthy();
      expect(check(result, 'boundary-scope').evidence?.observed).toBe(`policy ${BOUNDARY_ARN} does not exist`);
      const create = check(result, 'create-requires-boundary');
      expect(create.evidence?.observed).toMatch(/^iam:CreateRole on a role under \/app\/ without a boundary: allowed by AppTeamAccess; /);
      expect(create.evidence?.where).toBe(`IAM role ${APP_TEAM_ROLE_NAME} (SimulatePrincipalPolicy)`);
      expect(create.hint).toMatch(/iam:PermissionsBoundary/);
      expect(check(result, 'pass-role-scoped').evidence?.observed).toBe(
        'iam:PassRole of a role under /app/ to ec2.amazonaws.com: allowed by AppTeamAccess; iam:PassRole of a role outside /app/ to lambda.amazonaws.com: allowed by AppTeamAccess',
      );
    });

    it('gives full marks on the solved state, saying what the simulator allowed and denied', () => {
      const result = run(load(lab.examples.solved).facts);
      expect(result.checks.map((c) => c.status)).toEqual(CHECK_IDS.map(() => 'PASS'));
      expect(result.score).toBe(100);
      expect(check(result, 'create-requires-boundary').evidence?.observed).toBe('5 of 20 requests allowed, the other 15 denied, as expected');
      expect(check(result, 'boundary-immutable').evidence?.observed).toBe('all 4 requests denied, as expected');
      expect(check(result, 'boundary-scope').evidence?.where).toMatch(/default version v1$/);
    });

    it.each<[string, Status[]]>([
      ['boundary-only', ['PASS', 'FAIL', 'FAIL', 'FAIL', 'FAIL', 'FAIL']],
      ['boundary-on-create-only', ['PASS', 'PASS', 'FAIL', 'PASS', 'PASS', 'PASS']],
      ['deny-delete-only', ['PASS', 'PASS', 'PASS', 'FAIL', 'PASS', 'PASS']],
      ['pass-role-star', ['PASS', 'PASS', 'PASS', 'PASS', 'PASS', 'FAIL']],
      ['boundary-too-broad', ['FAIL', 'PASS', 'PASS', 'PASS', 'PASS', 'PASS']],
      ['editable-own-policy', ['PASS', 'PASS', 'PASS', 'PASS', 'FAIL', 'PASS']],
      ['tag-condition', ['PASS', 'FAIL', 'PASS', 'PASS', 'PASS', 'PASS']],
      ['reads-failed', ['ERROR', 'PASS', 'PASS', 'PASS', 'PASS', 'ERROR']],
    ])('judges fixture %s', (name, expected) => {
      expect(run(fixture(name)).checks.map((c) => c.status)).toEqual(expected);
    });

    it('catches the trap of a boundary condition on CreateRole but not on PutRolePermissionsBoundary', () => {
      const c = check(run(fixture('boundary-on-create-only')), 'no-boundary-removal');
      expect(c.evidence?.observed).toBe('iam:PutRolePermissionsBoundary setting AdministratorAccess as boundary of a role under /app/: allowed by AppTeamAccess');
      expect(c.hint).toMatch(/^A boundary condition on CreateRole alone is not enough: PutRolePermissionsBoundary replaces/);
    });

    it('catches the trap of a Deny on DeletePolicy but not on CreatePolicyVersion', () => {
      const c = check(run(fixture('deny-delete-only')), 'boundary-immutable');
      expect(c.evidence?.observed).toBe(
        'iam:CreatePolicyVersion on DopLab-AppBoundary: allowed by AppTeamAccess; iam:DeletePolicyVersion on DopLab-AppBoundary: allowed by AppTeamAccess; ' +
          'iam:SetDefaultPolicyVersion on DopLab-AppBoundary: allowed by AppTeamAccess',
      );
      expect(c.hint).toMatch(/^Denying DeletePolicy is not enough: a new default version/);
    });

    it('catches the trap of PassRole on *, naming the resource as what to scope', () => {
      const c = check(run(fixture('pass-role-star')), 'pass-role-scoped');
      expect(c.evidence?.observed).toMatch(/iam:PassRole of a role outside \/app\/ to lambda.amazonaws.com: allowed/);
      expect(c.hint).toBe(
        "iam:PassRole on every role lets the team hand any role, an administrator's too, to a function it controls: scope the resource to roles under /app/, and the condition key iam:PassedToService to name the service.",
      );
    });

    it('fails a boundary that lets through IAM and other buckets, naming each probe it allowed', () => {
      const c = check(run(fixture('boundary-too-broad')), 'boundary-scope');
      expect(c.evidence?.observed).toBe(
        'iam:ListUsers listing IAM users: allowed by PolicyInputList.1; s3:GetObject reading another bucket: allowed by PolicyInputList.1; ' +
          "s3:PutBucketPolicy changing the app bucket's policy: allowed by PolicyInputList.1",
      );
      expect(c.hint).toMatch(/lets through more than the app needs/);
    });

    it('fails a boundary that stops what the functions need', () => {
      const facts = solvedFacts();
      for (const r of facts.boundarySimulation.value) {
        if (r.EvalActionName === 'logs:PutLogEvents') r.ResourceSpecificResults[0].EvalResourceDecision = 'implicitDeny';
      }
      const c = check(run(facts), 'boundary-scope');
      expect(c.evidence?.observed).toBe("logs:PutLogEvents writing a function's logs: implicitDeny");
      expect(c.hint).toMatch(/stops what the app's functions need/);
    });

    it('fails a customer managed policy the AppTeam role may rewrite', () => {
      const c = check(run(fixture('editable-own-policy')), 'no-self-escalation');
      expect(c.evidence?.observed).toBe(
        `iam:CreatePolicyVersion on its own policy ${EXTRAS_ARN}: allowed by AppTeamExtras; iam:SetDefaultPolicyVersion on its own policy ${EXTRAS_ARN}: allowed by AppTeamExtras`,
      );
      expect(c.evidence?.expected).toMatch(/iam:CreatePolicyVersion and iam:SetDefaultPolicyVersion denied on arn:aws:iam::111122223333:policy\/AppTeamExtras$/);
      expect(c.hint).toMatch(/may grant itself anything/);
    });

    it('explains a denial that needs a context key the simulator was not given (MissingContextValues)', () => {
      const c = check(run(fixture('tag-condition')), 'create-requires-boundary');
      expect(c.evidence?.observed).toMatch(/^iam:CreateRole on a role under \/app\/ with the boundary: implicitDeny \(the simulator lacked context aws:RequestTag\/team\); /);
      expect(c.hint).toMatch(/no other context key/);
    });

    it('fails roles outside /app/ with a hint about the path in the ARN', () => {
      const facts = solvedFacts();
      for (const r of facts.appTeam.withBoundary.value) {
        if (r.EvalResourceName === OUTSIDE_ROLE && r.EvalActionName === 'iam:CreateRole') r.ResourceSpecificResults[0].EvalResourceDecision = 'allowed';
      }
      const c = check(run(facts), 'create-requires-boundary');
      expect(c.evidence?.observed).toBe('iam:CreateRole on a role outside /app/ with the boundary: allowed');
      expect(c.hint).toMatch(/a role's path is part of its ARN/);
    });

    it('counts an explicit deny as denied, and fails a request the simulator did not answer', () => {
      const facts = solvedFacts();
      const explicit = facts.appTeam.boundaryPolicy.value.map((r: { EvalDecision: string }) => r.EvalDecision);
      expect(explicit).toEqual(['explicitDeny', 'explicitDeny', 'explicitDeny', 'explicitDeny']);
      facts.appTeam.passToEc2.value = [];
      const c = check(run(facts), 'pass-role-scoped');
      expect(c).toMatchObject({ status: 'FAIL', evidence: { observed: 'iam:PassRole of a role under /app/ to ec2.amazonaws.com: not simulated' } });
    });

    it('reads decisions without resource-specific results, as IAM answers when no resource is given', () => {
      const facts = solvedFacts();
      for (const scenario of SCENARIO_IDS) for (const r of facts.appTeam[scenario].value) delete r.ResourceSpecificResults;
      expect(run(facts).score).toBe(100);
    });

    it('never returns PENDING: the simulator answers from IAM as it is, so no check has anything to wait for', () => {
      const files = [lab.examples.starting, lab.examples.solved, ...Object.values(FACTS_FILES).map((f) => f.path)];
      const statuses = new Set(files.flatMap((f) => run(load(f).facts).checks.map((c) => c.status)));
      expect([...statuses].sort()).toEqual(['ERROR', 'FAIL', 'PASS']);
    });

    it('rejects malformed facts', () => {
      const facts = solvedFacts();
      facts.appTeam.withBoundary.value[0].EvalDecision = 42;
      expect(checker.factsSchema.safeParse(facts).success).toBe(false);
      expect(checker.factsSchema.safeParse(load(lab.examples.solved).facts).success).toBe(true);
    });
  });

  describe('gather', () => {
    let stubs: Awaited<ReturnType<typeof gatherWorld>>['stubs'] | undefined;
    afterEach(() => {
      stubs?.restore();
      stubs = undefined;
    });

    async function gather(world: IamWorld, fault?: Parameters<typeof gatherWorld>[1]) {
      const actions: string[] = [];
      const out = await gatherWorld(world, fault, (action) => actions.push(action));
      stubs = out.stubs;
      return { ...out, actions };
    }

    it.each(Object.keys(FACTS_FILES))('records the shipped %s facts exactly as gather does today', async (name) => {
      const fresh = await freshFactsFile(name);
      expect(fresh).toEqual(load(FACTS_FILES[name].path));
    });

    it('sends exactly the declared read-only calls, with the scenarios and probes the checks judge', async () => {
      const { stubs: s, actions, file } = await gather(solvedWorld());
      const t = targetsOf(file.facts);
      expect(t).toEqual({ appRole: APP_ROLE, outsideRole: OUTSIDE_ROLE, appTeamRole: APP_TEAM_ROLE_ARN, boundary: BOUNDARY_ARN, otherBoundary: ADMIN, adminPolicy: ADMIN });
      expect(s.iam.commandCalls(GetPolicyCommand).map((c) => c.args[0].input)).toEqual([{ PolicyArn: BOUNDARY_ARN }]);
      expect(s.iam.commandCalls(GetPolicyVersionCommand).map((c) => c.args[0].input)).toEqual([{ PolicyArn: BOUNDARY_ARN, VersionId: 'v1' }]);
      expect(s.iam.commandCalls(ListAttachedRolePoliciesCommand).map((c) => c.args[0].input)).toEqual([{ RoleName: APP_TEAM_ROLE_NAME }]);
      const boundary = { ContextKeyName: 'iam:PermissionsBoundary', ContextKeyValues: [BOUNDARY_ARN], ContextKeyType: 'string' };
      const attachAdmin = { ContextKeyName: 'iam:PolicyARN', ContextKeyValues: [ADMIN], ContextKeyType: 'string' };
      const roleActions = ['iam:CreateRole', 'iam:PutRolePolicy', 'iam:AttachRolePolicy', 'iam:DetachRolePolicy', 'iam:DeleteRolePolicy', 'iam:UpdateAssumeRolePolicy', 'iam:PutRolePermissionsBoundary', 'iam:DeleteRolePermissionsBoundary'];
      const principal = { PolicySourceArn: APP_TEAM_ROLE_ARN };
      expect(s.iam.commandCalls(SimulatePrincipalPolicyCommand).map((c) => c.args[0].input)).toEqual([
        { ...principal, ActionNames: roleActions, ResourceArns: [APP_ROLE, OUTSIDE_ROLE, APP_TEAM_ROLE_ARN], ContextEntries: [boundary, attachAdmin] },
        { ...principal, ActionNames: roleActions, ResourceArns: [APP_ROLE, APP_TEAM_ROLE_ARN], ContextEntries: [attachAdmin] },
        { ...principal, ActionNames: roleActions, ResourceArns: [APP_ROLE], ContextEntries: [{ ...boundary, ContextKeyValues: [ADMIN] }, attachAdmin] },
        { ...principal, ActionNames: ['iam:CreatePolicyVersion', 'iam:DeletePolicyVersion', 'iam:SetDefaultPolicyVersion', 'iam:DeletePolicy'], ResourceArns: [BOUNDARY_ARN] },
        { ...principal, ActionNames: ['iam:PassRole'], ResourceArns: [APP_ROLE, OUTSIDE_ROLE], ContextEntries: [{ ContextKeyName: 'iam:PassedToService', ContextKeyValues: ['lambda.amazonaws.com'], ContextKeyType: 'string' }] },
        { ...principal, ActionNames: ['iam:PassRole'], ResourceArns: [APP_ROLE], ContextEntries: [{ ContextKeyName: 'iam:PassedToService', ContextKeyValues: ['ec2.amazonaws.com'], ContextKeyType: 'string' }] },
      ]);
      const custom = s.iam.commandCalls(SimulateCustomPolicyCommand).map((c) => c.args[0].input);
      const probes = boundaryProbes(file.facts);
      expect(custom.map((input) => input.ResourceArns)).toEqual([...new Set(probes.map((p) => p.resource))].map((r) => [r]));
      for (const input of custom) {
        expect(input.PolicyInputList).toEqual([ALLOW_EVERYTHING]);
        expect(input.PermissionsBoundaryPolicyInputList).toEqual([boundaryDocument(TARGETS)]);
        expect(input.ActionNames).toEqual(probes.filter((p) => p.resource === input.ResourceArns?.[0]).map((p) => p.action));
      }
      expect([...new Set(actions)].sort()).toEqual(checkerActions(checker));
      expect(JSON.parse(JSON.stringify(file.facts))).toEqual(file.facts);
      expect(checker.factsSchema.safeParse(file.facts).success).toBe(true);
      expect(run(file.facts).score).toBe(100);
    });

    it('needs four sequential round trips: the stack; the policy, attachments and AppTeam simulations; the version and the own-policy simulation; the boundary simulation', async () => {
      let finished = 0;
      const rounds: Record<string, number[]> = {};
      const slow: AnswerWrapper = (name, answer) => async (input) => {
        const round = finished + 1;
        rounds[name] = [...new Set([...(rounds[name] ?? []), round])];
        await new Promise((resolve) => setTimeout(resolve, 20));
        finished = Math.max(finished, round);
        return answer(input);
      };
      const out = await gatherWorld(editableOwnPolicyWorld(), undefined, undefined, slow);
      stubs = out.stubs;
      expect(rounds).toEqual({
        DescribeStacks: [1],
        GetPolicy: [2],
        ListAttachedRolePolicies: [2],
        SimulatePrincipalPolicy: [2, 3],
        GetPolicyVersion: [3],
        SimulateCustomPolicy: [4],
      });
      // Six scenarios in round 2, the own policy in round 3.
      expect(out.stubs.iam.commandCalls(SimulatePrincipalPolicyCommand)).toHaveLength(7);
      expect(out.stubs.iam.commandCalls(SimulatePrincipalPolicyCommand)[6].args[0].input).toEqual({
        PolicySourceArn: APP_TEAM_ROLE_ARN,
        ActionNames: ['iam:CreatePolicyVersion', 'iam:SetDefaultPolicyVersion'],
        ResourceArns: [EXTRAS_ARN],
      });
    });

    it('reads no version and simulates no boundary when the boundary does not exist: boundary-scope fails, nothing errors', async () => {
      const { stubs: s, file } = await gather(startingWorld());
      expect(file.facts.boundary).toEqual({ ok: true, value: null });
      expect(file.facts.boundarySimulation).toBeUndefined();
      expect(file.facts.attachedPolicyEdits).toBeUndefined();
      expect(s.iam.commandCalls(GetPolicyVersionCommand)).toHaveLength(0);
      expect(s.iam.commandCalls(SimulateCustomPolicyCommand)).toHaveLength(0);
      expect(run(file.facts).checks.map((c) => c.status)).toEqual(CHECK_IDS.map(() => 'FAIL'));
    });

    it('follows every page of a truncated simulation', async () => {
      const { stubs: s, file } = await gather(solvedWorld(), (w) => {
        const first = { EvalActionName: 'iam:PassRole', EvalResourceName: APP_ROLE, EvalDecision: 'allowed' as const };
        const second = { EvalActionName: 'iam:PassRole', EvalResourceName: OUTSIDE_ROLE, EvalDecision: 'implicitDeny' as const };
        const lambda = { ContextEntries: [{ ContextKeyName: 'iam:PassedToService', ContextKeyValues: ['lambda.amazonaws.com'], ContextKeyType: 'string' as const }] };
        w.iam.on(SimulatePrincipalPolicyCommand, lambda).resolves({ EvaluationResults: [first], IsTruncated: true, Marker: 'page-2' });
        w.iam.on(SimulatePrincipalPolicyCommand, { ...lambda, Marker: 'page-2' }).resolves({ EvaluationResults: [second], IsTruncated: false });
      });
      expect(s.iam.commandCalls(SimulatePrincipalPolicyCommand).filter((c) => c.args[0].input.ActionNames?.[0] === 'iam:PassRole')).toHaveLength(3);
      expect(file.facts.appTeam.passToLambda).toEqual({ ok: true, value: [expect.objectContaining({ EvalResourceName: APP_ROLE }), expect.objectContaining({ EvalResourceName: OUTSIDE_ROLE })] });
      expect(check(run(file.facts), 'pass-role-scoped').status).toBe('PASS');
    });

    it('records AccessDenied on SimulatePrincipalPolicy as an ERROR of the AppTeam checks naming the action; the boundary check still runs', async () => {
      const { file } = await gather(solvedWorld(), (w) =>
        w.iam.on(SimulatePrincipalPolicyCommand).rejects(awsError('AccessDenied', 'User is not authorized to perform: iam:SimulatePrincipalPolicy', 403)),
      );
      const result = run(file.facts);
      expect(result.checks.map((c) => c.status)).toEqual(['PASS', 'ERROR', 'ERROR', 'ERROR', 'ERROR', 'ERROR']);
      expect(check(result, 'create-requires-boundary').error).toMatchObject({ code: 'ACCESS_DENIED', action: 'iam:SimulatePrincipalPolicy' });
    });

    it('rejects with LAB_NOT_DEPLOYED when the stack does not exist, reading nothing else', async () => {
      stubs = mockWorld(solvedWorld());
      stubs.cloudformation.on(DescribeStacksCommand).rejects(awsError('ValidationError', `Stack with id ${STACK_NAME} does not exist`));
      const session = new MockedSession({ region: REGION, credentials: CREDENTIALS }, SDK_MODULES);
      const error = await gatherFacts(checker, session, { identity: IDENTITY }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DoplabError);
      expect(error).toMatchObject({ code: 'LAB_NOT_DEPLOYED' });
      expect(stubs.iam.calls()).toHaveLength(0);
    });

    it('refuses PutRolePolicy on a checker client before anything is sent', async () => {
      const iam = mockClient(IAMClient);
      try {
        const session = new MockedSession({ region: REGION, credentials: CREDENTIALS }, [await import('@aws-sdk/client-iam')]);
        const client = session.readOnlyClient(IAMClient, REGION);
        await expect(client.send(new PutRolePolicyCommand({ RoleName: APP_TEAM_ROLE_NAME, PolicyName: 'x', PolicyDocument: '{}' }))).rejects.toThrow(
          /Refused iam:PutRolePolicy: checkers may only read/,
        );
        expect(iam.calls()).toHaveLength(0);
      } finally {
        iam.restore();
      }
    });
  });

  describe('solution', () => {
    let iam: AwsClientStub<IAMClient>;
    beforeEach(() => {
      iam = mockClient(IAMClient);
      iam.on(CreatePolicyCommand).resolves({ Policy: { Arn: BOUNDARY_ARN, DefaultVersionId: 'v1' } });
      iam.on(PutRolePolicyCommand).resolves({});
      iam.on(CreateRoleCommand).resolves({ Role: { Path: '/app/', RoleName: DEMO_ROLE_NAME, RoleId: 'AROAEXAMPLE', Arn: `arn:aws:iam::${ACCOUNT}:role/app/${DEMO_ROLE_NAME}`, CreateDate: new Date() } });
      iam.on(AttachRolePolicyCommand).resolves({});
    });
    afterEach(() => iam.restore());

    function context(lines: string[] = []): SolutionContext<typeof Outputs> {
      const session = new AwsSession({ region: REGION, credentials: CREDENTIALS });
      return {
        outputs: { appTeamRoleArn: APP_TEAM_ROLE_ARN, boundaryPolicyArn: BOUNDARY_ARN, appBucketName: BUCKET, appTableArn: TABLE_ARN },
        region: REGION,
        account: ACCOUNT,
        client: (ctor) => session.client(ctor, REGION),
        log: (line) => lines.push(line),
      };
    }

    it('writes the boundary, replaces the AppTeam policy, and makes the optional bounded role with AdministratorAccess', async () => {
      await solve(context());
      expect(iam.commandCalls(CreatePolicyCommand)[0].args[0].input).toMatchObject({
        PolicyName: BOUNDARY_POLICY_NAME,
        PolicyDocument: boundaryDocument(TARGETS),
        Tags: [{ Key: 'doplab:lab', Value: 'permission-boundaries' }],
      });
      expect(iam.commandCalls(PutRolePolicyCommand).map((c) => c.args[0].input)).toEqual([
        { RoleName: APP_TEAM_ROLE_NAME, PolicyName: APP_TEAM_POLICY_NAME, PolicyDocument: delegationDocument(TARGETS) },
      ]);
      expect(iam.commandCalls(CreateRoleCommand)[0].args[0].input).toMatchObject({ RoleName: DEMO_ROLE_NAME, Path: '/app/', PermissionsBoundary: BOUNDARY_ARN });
      expect(iam.commandCalls(AttachRolePolicyCommand)[0].args[0].input).toEqual({ RoleName: DEMO_ROLE_NAME, PolicyArn: ADMIN });
    });

    it('leaves a state the simulator passes on every check', async () => {
      await solve(context());
      const world: IamWorld = {
        appTeamInline: { [APP_TEAM_POLICY_NAME]: iam.commandCalls(PutRolePolicyCommand)[0].args[0].input.PolicyDocument ?? '' },
        appTeamAttached: [],
        policies: [{ arn: BOUNDARY_ARN, defaultVersionId: 'v1', document: iam.commandCalls(CreatePolicyCommand)[0].args[0].input.PolicyDocument ?? '' }],
      };
      iam.restore();
      const { stubs: s, file } = await gatherWorld(world);
      s.restore();
      expect(run(file.facts).checks.filter((c) => c.status !== 'PASS')).toEqual([]);
    });

    it('writes a new default version of a boundary left from an earlier run, making room when IAM holds five', async () => {
      iam.on(CreatePolicyCommand).rejects(awsError('EntityAlreadyExists', `A policy called ${BOUNDARY_POLICY_NAME} already exists.`, 409));
      iam.on(ListPolicyVersionsCommand).resolves({
        Versions: [1, 2, 3, 4, 5].map((n) => ({ VersionId: `v${n}`, IsDefaultVersion: n === 5, CreateDate: new Date(Date.UTC(2026, 10, 27, 9, n)) })),
      });
      iam.on(DeletePolicyVersionCommand).resolves({});
      iam.on(CreatePolicyVersionCommand).resolves({});
      iam.on(CreateRoleCommand).rejects(awsError('EntityAlreadyExists', `Role with name ${DEMO_ROLE_NAME} already exists.`, 409));
      iam.on(PutRolePermissionsBoundaryCommand).resolves({});
      await solve(context());
      expect(iam.commandCalls(DeletePolicyVersionCommand).map((c) => c.args[0].input)).toEqual([{ PolicyArn: BOUNDARY_ARN, VersionId: 'v1' }]);
      expect(iam.commandCalls(CreatePolicyVersionCommand)[0].args[0].input).toEqual({ PolicyArn: BOUNDARY_ARN, PolicyDocument: boundaryDocument(TARGETS), SetAsDefault: true });
      expect(iam.commandCalls(PutRolePermissionsBoundaryCommand)[0].args[0].input).toEqual({ RoleName: DEMO_ROLE_NAME, PermissionsBoundary: BOUNDARY_ARN });
    });

    it('declares in calls.ts exactly the actions it sends (tags on CreatePolicy and CreateRole need TagPolicy and TagRole)', async () => {
      await solve(context());
      const first = iam.calls().map((c) => (c.args[0] as object).constructor.name);
      iam.reset();
      iam.on(CreatePolicyCommand).rejects(awsError('EntityAlreadyExists', 'exists', 409));
      iam.on(ListPolicyVersionsCommand).resolves({ Versions: [1, 2, 3, 4, 5].map((n) => ({ VersionId: `v${n}`, IsDefaultVersion: n === 5 })) });
      iam.on(CreateRoleCommand).rejects(awsError('EntityAlreadyExists', 'exists', 409));
      await solve(context());
      const second = iam.calls().map((c) => (c.args[0] as object).constructor.name);
      const sent = [...new Set([...first, ...second])].map((name) => `iam:${name.replace(/Command$/, '')}`);
      expect([...sent, 'iam:TagPolicy', 'iam:TagRole'].sort()).toEqual([...solutionActions].sort());
    });

    it('stops on an IAM error it cannot handle', async () => {
      iam.on(PutRolePolicyCommand).rejects(awsError('AccessDenied', 'not authorized to perform: iam:PutRolePolicy', 403));
      await expect(solve(context())).rejects.toThrow(/iam:PutRolePolicy/);
      expect(iam.commandCalls(CreateRoleCommand)).toHaveLength(0);
    });
  });
});
