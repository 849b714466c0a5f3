import 'aws-sdk-client-mock-jest';
import { join } from 'node:path';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  ConfigServiceClient,
  DescribeRemediationConfigurationsCommand,
  DescribeRemediationExecutionStatusCommand,
  GetComplianceDetailsByConfigRuleCommand,
  PutRemediationConfigurationsCommand,
  StartConfigRulesEvaluationCommand,
  StartRemediationExecutionCommand,
  type RemediationConfiguration,
} from '@aws-sdk/client-config-service';
import { CreateRoleCommand, GetRoleCommand, IAMClient, PutRolePolicyCommand, SimulatePrincipalPolicyCommand, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { checker, type ConfigRemediationFacts } from '../../checkers/config-remediation';
import { AwsSession, isReadOnlyAction, type CallListener } from '../../lib/aws/clients';
import type { LabResult, Status } from '../../lib/checker';
import { checkerActions, evaluate } from '../../lib/engine';
import { DoplabError } from '../../lib/errors';
import { loadFactsFile } from '../../lib/facts-file';
import type { SolutionContext } from '../../lib/lab';
import { Outputs } from '../../labs/config-remediation/contract';
import { lab } from '../../labs/config-remediation/lab';
import { SOLUTION_ROLE_NAME, solveWith, type WaitOptions } from '../../labs/config-remediation/solution';
import {
  ACCOUNT,
  B1,
  B2,
  DEPLOYED_STACK,
  REGION,
  REMEDIATION,
  REMEDIATION_INPUT,
  ROLE,
  ROLE_ARN,
  RULE,
  STACK_NAME,
  TRUST,
  evaluation,
  solvedWorld,
  type AwsWorld,
  type WorldStubs,
} from '../fixtures/config-remediation/aws-world';
import { CREDENTIALS, FACTS_FILES, SDK_MODULES, freshFactsFile, gatherWorld } from '../fixtures/config-remediation/gather-world';
import { MockedSession, awsError } from '../support/mocked-session';

const FIXTURES = join(__dirname, '..', 'fixtures', 'config-remediation');

const CHECK_IDS = ['remediation-document', 'remediation-automatic', 'automation-role-trusted', 'automation-role-permissions', 'buckets-compliant'] as const;
type CheckId = (typeof CHECK_IDS)[number];

function load(path: string) {
  return loadFactsFile(path, checker.labId, checker.factsSchema);
}

function run(facts: ConfigRemediationFacts): LabResult {
  return evaluate(checker.checks, facts, { lab: checker.labId, account: ACCOUNT, region: REGION, source: 'facts-file' });
}

function check(result: LabResult, id: CheckId) {
  const found = result.checks.find((c) => c.id === id);
  if (!found) throw new Error(`no check ${id}`);
  return found;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- fixtures are edited freely in tests
type Mutable<T> = { -readonly [K in keyof T]: any };
const solvedFacts = () => structuredClone(load(lab.examples.solved).facts) as Mutable<ConfigRemediationFacts>;
const fixture = (name: string) => load(join(FIXTURES, `${name}.json`)).facts;

/** The solved facts with the remediation edited. */
function withRemediation(edit: Record<string, unknown>) {
  const facts = solvedFacts();
  Object.assign(facts.remediations.value[0], edit);
  return facts;
}

describe('config-remediation checker', () => {
  describe('declaration', () => {
    it('has five checks worth 100 points, each proving a declared task statement', () => {
      expect(checker.checks.map((c) => c.id)).toEqual([...CHECK_IDS]);
      expect(checker.checks.reduce((sum, c) => sum + c.points, 0)).toBe(100);
      for (const c of checker.checks) expect(lab.taskStatements).toContain(c.taskStatement);
    });

    it('declares only read-only actions', () => {
      expect(checkerActions(checker)).toEqual([
        'cloudformation:DescribeStacks',
        'config:DescribeRemediationConfigurations',
        'config:DescribeRemediationExecutionStatus',
        'config:GetComplianceDetailsByConfigRule',
        'iam:GetRole',
        'iam:SimulatePrincipalPolicy',
      ]);
      expect(checkerActions(checker).every(isReadOnlyAction)).toBe(true);
    });
  });

  describe('checks on facts', () => {
    it('scores 0 on the starting state, failing with hints', () => {
      const result = run(load(lab.examples.starting).facts);
      expect(result.score).toBe(0);
      expect(result.checks.map((c) => c.status)).toEqual(['FAIL', 'SKIPPED', 'SKIPPED', 'SKIPPED', 'FAIL']);
      for (const c of result.checks) expect(c.hint).toBeTruthy();
      expect(check(result, 'remediation-document').evidence).toMatchObject({
        observed: 'the rule has no remediation action',
        where: `AWS Config rule ${RULE} in ${REGION}`,
      });
      expect(check(result, 'buckets-compliant').evidence?.observed).toBe(
        `${B1}: NON_COMPLIANT (evaluated 2026-11-23T10:21:07.412Z), and no remediation has run on it; ` +
          `${B2}: NON_COMPLIANT (evaluated 2026-11-23T10:21:07.655Z), and no remediation has run on it`,
      );
      expect(check(result, 'buckets-compliant').hint).toMatch(/re-evaluate the rule/);
    });

    it('gives full marks on the solved state', () => {
      const result = run(load(lab.examples.solved).facts);
      expect(result.checks.map((c) => c.status)).toEqual(CHECK_IDS.map(() => 'PASS'));
      expect(result.score).toBe(100);
    });

    it.each<[string, Status[]]>([
      ['manual-static-bucket', ['FAIL', 'SKIPPED', 'SKIPPED', 'SKIPPED', 'FAIL']],
      ['wrong-document', ['FAIL', 'SKIPPED', 'SKIPPED', 'SKIPPED', 'FAIL']],
      ['role-trusts-lambda', ['PASS', 'PASS', 'FAIL', 'SKIPPED', 'FAIL']],
      ['remediation-in-progress', ['PASS', 'PASS', 'PASS', 'PASS', 'PENDING']],
      ['evaluation-stale', ['PASS', 'PASS', 'PASS', 'PASS', 'PENDING']],
      ['remediation-failed', ['PASS', 'PASS', 'PASS', 'FAIL', 'FAIL']],
      ['reads-failed', ['PASS', 'PASS', 'PASS', 'ERROR', 'ERROR']],
    ])('judges fixture %s', (name, expected) => {
      expect(run(fixture(name)).checks.map((c) => c.status)).toEqual(expected);
    });

    it('fails a fixed bucket name, hinting at the resource id without naming the runbook', () => {
      const c = check(run(fixture('manual-static-bucket')), 'remediation-document');
      expect(c.evidence?.observed).toBe(`remediation runs SSM_DOCUMENT AWS-ConfigureS3BucketVersioning; BucketName: static value ["${B1}"]`);
      expect(c.hint).toMatch(/Map BucketName to the resource id/);
    });

    it('fails the encryption runbook on a versioning rule without pasting the answer', () => {
      const c = check(run(fixture('wrong-document')), 'remediation-document');
      expect(c.evidence?.observed).toMatch(/^remediation runs SSM_DOCUMENT AWS-EnableS3BucketEncryption;/);
      expect(c.hint).toMatch(/must configure versioning/);
      expect(`${c.hint} ${c.evidence?.expected}`).not.toMatch(/AWS-ConfigureS3BucketVersioning/);
    });

    it.each<[string, Record<string, unknown>, Status]>([
      ['a document ARN', { TargetId: `arn:aws:ssm:${REGION}::document/AWS-ConfigureS3BucketVersioning` }, 'PASS'],
      ['an Automation document of the learner', { TargetId: 'MyVersioning' }, 'FAIL'],
      ['VersioningState Suspended', { Parameters: { BucketName: { ResourceValue: { Value: 'RESOURCE_ID' } }, VersioningState: { StaticValue: { Values: ['Suspended'] } } } }, 'FAIL'],
      ['no VersioningState (defaults to Enabled)', { Parameters: { BucketName: { ResourceValue: { Value: 'RESOURCE_ID' } }, AutomationAssumeRole: { StaticValue: { Values: [ROLE_ARN] } } } }, 'PASS'],
    ])('judges a remediation with %s', (_, edit, expected) => {
      expect(check(run(withRemediation(edit)), 'remediation-document').status).toBe(expected);
    });

    it.each<[string, Record<string, unknown>, Status, RegExp]>([
      ['manual', { Automatic: false }, 'FAIL', /automatic: no/],
      ['one attempt', { MaximumAutomaticAttempts: 1 }, 'FAIL', /maximum automatic attempts: 1/],
      ['no attempts set (Config default 5)', { MaximumAutomaticAttempts: undefined, RetryAttemptSeconds: undefined }, 'PASS', /not set \(Config uses 5\); retry after: not set/],
    ])('judges an automatic remediation that is %s', (_, edit, expected, observed) => {
      const c = check(run(withRemediation(edit)), 'remediation-automatic');
      expect(c.status).toBe(expected);
      expect(c.evidence?.observed).toMatch(observed);
    });

    it('fails the role check when the remediation passes no role, and when the role does not exist', () => {
      const noRole = withRemediation({ Parameters: { BucketName: { ResourceValue: { Value: 'RESOURCE_ID' } } } });
      delete noRole.role;
      delete noRole.simulation;
      const c = check(run(noRole), 'automation-role-trusted');
      expect(c).toMatchObject({ status: 'FAIL', evidence: { observed: 'the remediation passes no AutomationAssumeRole' } });
      expect(check(run(noRole), 'automation-role-permissions').status).toBe('SKIPPED');

      const gone = solvedFacts();
      gone.role = { ok: true, value: null };
      expect(check(run(gone), 'automation-role-trusted')).toMatchObject({ status: 'FAIL', evidence: { observed: `role ${ROLE_ARN} does not exist` } });
    });

    it.each<[string, object, Status]>([
      ['a Deny for ssm', { Statement: [{ Effect: 'Allow', Principal: { Service: ['ssm.amazonaws.com', 'lambda.amazonaws.com'] }, Action: 'sts:AssumeRole' }, { Effect: 'Deny', Principal: { Service: 'ssm.amazonaws.com' }, Action: 'sts:AssumeRole' }] }, 'FAIL'],
      ['only an AWS account principal', { Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' }] }, 'FAIL'],
      ['a single statement object with a source-account condition', { Statement: { Effect: 'Allow', Principal: { Service: 'ssm.amazonaws.com' }, Action: ['sts:AssumeRole'], Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } } } }, 'PASS'],
    ])('judges a trust policy with %s', (_, document, expected) => {
      const facts = solvedFacts();
      facts.role.value.AssumeRolePolicyDocument = JSON.stringify({ Version: '2012-10-17', ...document });
      expect(check(run(facts), 'automation-role-trusted').status).toBe(expected);
    });

    it('fails the permissions from the simulation, naming each refused call, and explains an explicit deny', () => {
      const c = check(run(fixture('remediation-failed')), 'automation-role-permissions');
      expect(c.evidence?.observed).toBe(`s3:PutBucketVersioning on arn:aws:s3:::${B1}: implicitDeny; s3:PutBucketVersioning on arn:aws:s3:::${B2}: implicitDeny`);
      expect(c.hint).toMatch(/implicit deny/);

      const facts = solvedFacts();
      facts.simulation.value[1].ResourceSpecificResults[0].EvalResourceDecision = 'explicitDeny';
      const denied = check(run(facts), 'automation-role-permissions');
      expect(denied.evidence?.observed).toBe(`s3:PutBucketVersioning on arn:aws:s3:::${B2}: explicitDeny`);
      expect(denied.hint).toMatch(/explicit deny wins/);
    });

    it('judges the simulation on bucket ARNs of the partition of the lab region (aws-cn, aws-us-gov)', () => {
      for (const [region, partition] of [['cn-north-1', 'aws-cn'], ['us-gov-west-1', 'aws-us-gov']]) {
        const facts = solvedFacts();
        facts.region = region;
        for (const r of facts.simulation.value) {
          r.EvalResourceName = r.EvalResourceName!.replace('arn:aws:', `arn:${partition}:`);
          for (const s of r.ResourceSpecificResults ?? []) s.EvalResourceName = s.EvalResourceName!.replace('arn:aws:', `arn:${partition}:`);
        }
        expect([region, check(run(facts), 'automation-role-permissions').status]).toEqual([region, 'PASS']);
      }
    });

    it('reads decisions without resource-specific results, as IAM answers for one resource', () => {
      const facts = solvedFacts();
      for (const r of facts.simulation.value) delete r.ResourceSpecificResults;
      expect(check(run(facts), 'automation-role-permissions').status).toBe('PASS');
    });

    it('fails with the message from DescribeRemediationExecutionStatus when the remediation failed', () => {
      const c = check(run(fixture('remediation-failed')), 'buckets-compliant');
      expect(c.evidence?.observed).toContain(
        `${B1}: NON_COMPLIANT; the remediation execution failed at 2026-11-23T10:55:44.102Z in step ConfigureVersioning: Step fails when it is Executing. ` +
          'Fail reason: An error occurred (AccessDenied) when calling the PutBucketVersioning operation',
      );
      expect(c.hint).toMatch(/Read the failure message/);
    });

    it('is pending while a remediation runs, saying what it waits for', () => {
      const c = check(run(fixture('remediation-in-progress')), 'buckets-compliant');
      expect(c.evidence?.observed).toBe(
        `${B1}: NON_COMPLIANT; waiting for the remediation execution (IN_PROGRESS since 2026-11-23T10:57:02.118Z, step ConfigureVersioning); ` +
          `${B2}: NON_COMPLIANT; waiting for the remediation execution (QUEUED since 2026-11-23T10:57:02.377Z, step ConfigureVersioning)`,
      );
      expect(c.evidence?.expected).toBe('waiting for: 2 lab buckets COMPLIANT with the rule');
    });

    it('is pending while Config cannot tell the state of a remediation (UNKNOWN)', () => {
      const facts = structuredClone(fixture('remediation-in-progress')) as Mutable<ConfigRemediationFacts>;
      facts.executions.value[0].State = 'UNKNOWN';
      facts.executions.value[1].State = 'UNKNOWN';
      const c = check(run(facts), 'buckets-compliant');
      expect(c.status).toBe('PENDING');
      expect(c.evidence?.observed).toMatch(new RegExp(`^${B1}: NON_COMPLIANT; waiting for the remediation execution \\(UNKNOWN since`));
    });

    it('is pending when the last evaluation is older than a successful remediation', () => {
      const c = check(run(fixture('evaluation-stale')), 'buckets-compliant');
      expect(c.status).toBe('PENDING');
      expect(c.evidence?.observed).toMatch(
        new RegExp(`^${B1}: NON_COMPLIANT \\(evaluated 2026-11-23T10:55:40.201Z\\); the remediation succeeded at 2026-11-23T10:57:09.540Z, waiting for AWS Config to re-evaluate the bucket; ${B2}: COMPLIANT`),
      );
    });

    it('fails when the bucket is still NON_COMPLIANT after an evaluation newer than the successful remediation', () => {
      const facts = structuredClone(fixture('evaluation-stale')) as Mutable<ConfigRemediationFacts>;
      facts.compliance.value[0].ResultRecordedTime = '2026-11-23T10:59:30.000Z';
      const c = check(run(facts), 'buckets-compliant');
      expect(c).toMatchObject({ status: 'FAIL', evidence: { observed: expect.stringContaining(`${B1}: NON_COMPLIANT at 2026-11-23T10:59:30.000Z, after a remediation that succeeded`) } });
    });

    it('is pending before the first evaluation, and fails a bucket taken out of scope', () => {
      const facts = solvedFacts();
      facts.compliance.value = [facts.compliance.value[1]];
      facts.executions.value = [facts.executions.value[1]];
      expect(check(run(facts), 'buckets-compliant')).toMatchObject({ status: 'PENDING', evidence: { observed: expect.stringContaining(`${B1}: waiting for the rule's first evaluation`) } });
      facts.compliance.value[0].ComplianceType = 'NOT_APPLICABLE';
      expect(check(run(facts), 'buckets-compliant')).toMatchObject({ status: 'FAIL', hint: expect.stringMatching(/doplab:compliance=versioning-required/) });
    });

    it('fails a bucket made compliant by hand: no successful remediation is recorded for it', () => {
      const facts = solvedFacts();
      facts.executions.value = [facts.executions.value[1]];
      const c = check(run(facts), 'buckets-compliant');
      expect(c.status).toBe('FAIL');
      expect(c.evidence?.observed).toBe(
        `${B1}: COMPLIANT (evaluated 2026-11-23T10:58:12.733Z), but no successful remediation execution is recorded for it; ` +
          `${B2}: COMPLIANT (evaluated 2026-11-23T10:58:13.104Z), remediated at 2026-11-23T10:57:10.013Z`,
      );
      expect(c.hint).toMatch(/Suspend versioning/);
    });

    it('fails with a redeploy hint when the rule is gone', () => {
      const facts = solvedFacts();
      facts.compliance = { ok: true, value: null };
      expect(check(run(facts), 'buckets-compliant')).toMatchObject({ status: 'FAIL', hint: expect.stringMatching(/doplab deploy config-remediation/) });
    });

    it('rejects malformed facts', () => {
      const facts = solvedFacts();
      facts.remediations.value[0].Automatic = 'yes';
      expect(checker.factsSchema.safeParse(facts).success).toBe(false);
      expect(checker.factsSchema.safeParse(load(lab.examples.solved).facts).success).toBe(true);
    });
  });

  describe('the shipped examples, recorded through the real gather', () => {
    it.each(Object.keys(FACTS_FILES))('%s.json is what gather records from its world (regenerate with test/support/write-facts.ts)', async (name) => {
      expect(FACTS_FILES[name].path).toBe(lab.examples[name as keyof typeof lab.examples]);
      const shipped = load(FACTS_FILES[name].path);
      expect(JSON.parse(JSON.stringify(await freshFactsFile(name)))).toEqual(shipped);
    });
  });

  describe('gather', () => {
    let stubs: WorldStubs | undefined;
    afterEach(() => {
      stubs?.restore();
      stubs = undefined;
    });

    /** Gathers in `region` through the real engine and middleware from the world's AWS answers (test/fixtures/config-remediation). */
    async function gather(world: AwsWorld = solvedWorld(), fault?: (s: WorldStubs) => void, region = REGION) {
      const actions: string[] = [];
      const listener: CallListener = (action) => actions.push(action);
      const gathered = await gatherWorld(world, fault, listener, region);
      stubs = gathered.stubs;
      return { facts: gathered.file.facts, actions, cfg: gathered.stubs.cfg, iam: gathered.stubs.iam };
    }

    it('sends exactly the declared read-only calls, with the lab rule, buckets and role', async () => {
      const { facts, actions, cfg, iam } = await gather();
      expect(cfg.commandCalls(DescribeRemediationConfigurationsCommand).map((c) => c.args[0].input)).toEqual([{ ConfigRuleNames: [RULE] }]);
      expect(cfg.commandCalls(GetComplianceDetailsByConfigRuleCommand).map((c) => c.args[0].input)).toEqual([
        { ConfigRuleName: RULE, ComplianceTypes: ['COMPLIANT', 'NON_COMPLIANT', 'NOT_APPLICABLE'], Limit: 100 },
      ]);
      expect(cfg.commandCalls(DescribeRemediationExecutionStatusCommand).map((c) => c.args[0].input)).toEqual([
        { ConfigRuleName: RULE, ResourceKeys: [B1, B2].map((resourceId) => ({ resourceType: 'AWS::S3::Bucket', resourceId })) },
      ]);
      expect(iam.commandCalls(GetRoleCommand).map((c) => c.args[0].input)).toEqual([{ RoleName: 'DopLab-config-remediation-automation' }]);
      expect(iam.commandCalls(SimulatePrincipalPolicyCommand).map((c) => c.args[0].input)).toEqual([
        { PolicySourceArn: ROLE_ARN, ActionNames: ['s3:PutBucketVersioning'], ResourceArns: [`arn:aws:s3:::${B1}`, `arn:aws:s3:::${B2}`] },
      ]);
      expect([...new Set(actions)].sort()).toEqual(checkerActions(checker));
      expect(JSON.parse(JSON.stringify(facts))).toEqual(facts);
      expect(checker.factsSchema.safeParse(facts).success).toBe(true);
      expect(facts.role).toEqual({ ok: true, value: { RoleName: ROLE.RoleName, Arn: ROLE_ARN, AssumeRolePolicyDocument: TRUST } });
      expect(run(facts).score).toBe(100);
    });

    it('simulates on bucket ARNs of the partition of the lab region (aws-cn)', async () => {
      const { iam } = await gather(solvedWorld(), undefined, 'cn-north-1');
      expect(iam.commandCalls(SimulatePrincipalPolicyCommand).map((c) => c.args[0].input.ResourceArns)).toEqual([[`arn:aws-cn:s3:::${B1}`, `arn:aws-cn:s3:::${B2}`]]);
    });

    it('needs three sequential round trips: the stack, the Config reads in parallel, then the role reads in parallel', async () => {
      let finished = 0;
      const rounds: Record<string, number> = {};
      const slow = <T>(name: string, answer: () => T) => async () => {
        const round = finished + 1;
        rounds[name] = round;
        await new Promise((resolve) => setTimeout(resolve, 20));
        finished = Math.max(finished, round);
        return answer();
      };
      await gather(solvedWorld(), ({ cloudformation, cfg, iam }) => {
        cloudformation.on(DescribeStacksCommand).callsFake(slow('DescribeStacks', () => ({ Stacks: DEPLOYED_STACK })));
        cfg.on(DescribeRemediationConfigurationsCommand).callsFake(slow('DescribeRemediationConfigurations', () => ({ RemediationConfigurations: [REMEDIATION] })));
        cfg.on(GetComplianceDetailsByConfigRuleCommand).callsFake(slow('GetComplianceDetailsByConfigRule', () => ({ EvaluationResults: [] })));
        cfg.on(DescribeRemediationExecutionStatusCommand).callsFake(slow('DescribeRemediationExecutionStatus', () => ({ RemediationExecutionStatuses: [] })));
        iam.on(GetRoleCommand).callsFake(slow('GetRole', () => ({ Role: ROLE })));
        iam.on(SimulatePrincipalPolicyCommand).callsFake(slow('SimulatePrincipalPolicy', () => ({ EvaluationResults: [] })));
      });
      expect(rounds).toEqual({
        DescribeStacks: 1,
        DescribeRemediationConfigurations: 2,
        GetComplianceDetailsByConfigRule: 2,
        DescribeRemediationExecutionStatus: 2,
        GetRole: 3,
        SimulatePrincipalPolicy: 3,
      });
    });

    it('follows every page of compliance results', async () => {
      const { facts, cfg } = await gather(solvedWorld(), ({ cfg }) => {
        cfg.on(GetComplianceDetailsByConfigRuleCommand).resolves({ EvaluationResults: [evaluation(B1, 'COMPLIANT')], NextToken: 'p2' });
        cfg.on(GetComplianceDetailsByConfigRuleCommand, { NextToken: 'p2' }).resolves({ EvaluationResults: [evaluation(B2, 'COMPLIANT')] });
      });
      expect(cfg).toHaveReceivedCommandTimes(GetComplianceDetailsByConfigRuleCommand, 2);
      expect(check(run(facts), 'buckets-compliant').status).toBe('PASS');
    });

    it('reads no role when the remediation names none, and the role checks fail rather than error', async () => {
      const world = solvedWorld();
      world.remediations = [];
      const { facts, iam } = await gather(world);
      expect(iam.calls()).toHaveLength(0);
      expect(facts.role).toBeUndefined();
      expect(run(facts).checks.map((c) => c.status)).toEqual(['FAIL', 'SKIPPED', 'SKIPPED', 'SKIPPED', 'PASS']);
    });

    it('records a role that does not exist as null: the trust check fails, the permissions check is skipped', async () => {
      const world = solvedWorld();
      world.role = null;
      const { facts, iam } = await gather(world);
      expect(iam).toHaveReceivedCommandTimes(SimulatePrincipalPolicyCommand, 1);
      expect(facts.role).toEqual({ ok: true, value: null });
      const result = run(facts);
      expect(check(result, 'automation-role-trusted').status).toBe('FAIL');
      expect(check(result, 'automation-role-permissions').status).toBe('SKIPPED');
    });

    it('fails with a redeploy hint, not an AWS error, when the rule was deleted', async () => {
      const gone = () => awsError('NoSuchConfigRuleException', `The ConfigRule '${RULE}' provided in the request is invalid.`);
      const { facts } = await gather(solvedWorld(), ({ cfg }) => {
        cfg.on(GetComplianceDetailsByConfigRuleCommand).rejects(gone());
        cfg.on(DescribeRemediationExecutionStatusCommand).rejects(gone());
      });
      expect(facts.compliance).toEqual({ ok: true, value: null });
      expect(facts.executions).toEqual({ ok: true, value: [] });
      expect(check(run(facts), 'buckets-compliant')).toMatchObject({ status: 'FAIL', evidence: { observed: `rule ${RULE} does not exist` } });
    });

    it('records AccessDenied on SimulatePrincipalPolicy as an ERROR naming the action, never a crash', async () => {
      const { facts } = await gather(solvedWorld(), ({ iam }) => {
        iam.on(SimulatePrincipalPolicyCommand).rejects(awsError('AccessDenied', 'User is not authorized to perform: iam:SimulatePrincipalPolicy', 403));
      });
      expect(facts.simulation).toMatchObject({ ok: false, error: { code: 'ACCESS_DENIED', action: 'iam:SimulatePrincipalPolicy' } });
      const result = run(facts);
      expect(check(result, 'automation-role-permissions')).toMatchObject({ status: 'ERROR', error: { action: 'iam:SimulatePrincipalPolicy' } });
      expect(check(result, 'buckets-compliant').status).toBe('PASS');
    });

    it('rejects with LAB_NOT_DEPLOYED when the stack does not exist, reading nothing else', async () => {
      const actions: string[] = [];
      const error = await gatherWorld(
        solvedWorld(),
        ({ cloudformation }) => cloudformation.on(DescribeStacksCommand).rejects(awsError('ValidationError', `Stack with id ${STACK_NAME} does not exist`)),
        (action) => actions.push(action),
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DoplabError);
      expect(error).toMatchObject({ code: 'LAB_NOT_DEPLOYED' });
      expect(actions).toEqual(['cloudformation:DescribeStacks']);
    });

    it('refuses PutRemediationConfigurations on a checker client before anything is sent', async () => {
      const cfg = mockClient(ConfigServiceClient);
      try {
        const session = new MockedSession({ region: REGION, credentials: CREDENTIALS }, SDK_MODULES);
        const client = session.readOnlyClient(ConfigServiceClient, REGION);
        await expect(client.send(new PutRemediationConfigurationsCommand({ RemediationConfigurations: [REMEDIATION] }))).rejects.toThrow(
          /Refused config:PutRemediationConfigurations: checkers may only read/,
        );
        expect(cfg.calls()).toHaveLength(0);
      } finally {
        cfg.restore();
      }
    });
  });

  describe('solution', () => {
    let cfg: AwsClientStub<ConfigServiceClient>;
    let iam: AwsClientStub<IAMClient>;
    const NO_WAIT: WaitOptions = { sleep: async () => undefined, pollMs: 15_000, timeoutMs: 60_000, nudgeAfterMs: 30_000 };

    beforeEach(() => {
      cfg = mockClient(ConfigServiceClient);
      iam = mockClient(IAMClient);
      iam.on(CreateRoleCommand).resolves({ Role: ROLE });
      iam.on(PutRolePolicyCommand).resolves({});
      cfg.on(PutRemediationConfigurationsCommand).resolves({ FailedBatches: [] });
      cfg.on(StartConfigRulesEvaluationCommand).resolves({});
      cfg.on(StartRemediationExecutionCommand).resolves({ FailedItems: [] });
    });
    afterEach(() => {
      cfg.restore();
      iam.restore();
    });

    function context(lines: string[] = [], region = REGION): SolutionContext<typeof Outputs> {
      const session = new AwsSession({ region, credentials: CREDENTIALS });
      return {
        outputs: { configRuleName: RULE, targetBucketNames: `${B1},${B2}`, recorderOwner: 'lab' },
        region,
        account: ACCOUNT,
        client: (ctor) => session.client(ctor, region),
        log: (line) => lines.push(line),
      };
    }

    it('creates a least-privilege role, attaches an automatic remediation, re-evaluates and waits for compliance', async () => {
      cfg
        .on(GetComplianceDetailsByConfigRuleCommand)
        .resolvesOnce({ EvaluationResults: [evaluation(B1, 'NON_COMPLIANT'), evaluation(B2, 'NON_COMPLIANT')] })
        .resolves({ EvaluationResults: [evaluation(B1, 'COMPLIANT'), evaluation(B2, 'COMPLIANT')] });
      const lines: string[] = [];
      await solveWith(context(lines), NO_WAIT);

      expect(iam.commandCalls(CreateRoleCommand)[0].args[0].input).toMatchObject({
        RoleName: SOLUTION_ROLE_NAME,
        AssumeRolePolicyDocument: TRUST,
        Tags: [{ Key: 'doplab:lab', Value: 'config-remediation' }],
      });
      expect(JSON.parse(iam.commandCalls(PutRolePolicyCommand)[0].args[0].input.PolicyDocument ?? '')).toEqual({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['s3:PutBucketVersioning', 's3:GetBucketVersioning'], Resource: [`arn:aws:s3:::${B1}`, `arn:aws:s3:::${B2}`] }],
      });
      expect(cfg.commandCalls(PutRemediationConfigurationsCommand)[0].args[0].input).toEqual({ RemediationConfigurations: [REMEDIATION_INPUT] });
      expect(cfg.commandCalls(StartConfigRulesEvaluationCommand)[0].args[0].input).toEqual({ ConfigRuleNames: [RULE] });
      expect(cfg).toHaveReceivedCommandTimes(GetComplianceDetailsByConfigRuleCommand, 2);
      expect(cfg.commandCalls(StartRemediationExecutionCommand)).toHaveLength(0);
      expect(lines.at(-1)).toBe(`Every lab bucket is COMPLIANT with ${RULE}`);
    });

    it('forms the role and bucket ARNs in the partition of the region (aws-us-gov)', async () => {
      iam.on(CreateRoleCommand).rejects(awsError('EntityAlreadyExists', `Role with name ${SOLUTION_ROLE_NAME} already exists.`, 409));
      iam.on(UpdateAssumeRolePolicyCommand).resolves({});
      cfg.on(GetComplianceDetailsByConfigRuleCommand).resolves({ EvaluationResults: [evaluation(B1, 'COMPLIANT'), evaluation(B2, 'COMPLIANT')] });
      await solveWith(context([], 'us-gov-west-1'), NO_WAIT);
      expect(JSON.parse(iam.commandCalls(PutRolePolicyCommand)[0].args[0].input.PolicyDocument ?? '').Statement[0].Resource).toEqual([`arn:aws-us-gov:s3:::${B1}`, `arn:aws-us-gov:s3:::${B2}`]);
      expect(cfg.commandCalls(PutRemediationConfigurationsCommand)[0].args[0].input.RemediationConfigurations?.[0].Parameters?.AutomationAssumeRole).toEqual({
        StaticValue: { Values: [`arn:aws-us-gov:iam::${ACCOUNT}:role/${SOLUTION_ROLE_NAME}`] },
      });
    });

    it('leaves a state that passes every check once AWS Config has settled', async () => {
      cfg.on(GetComplianceDetailsByConfigRuleCommand).resolves({ EvaluationResults: [evaluation(B1, 'COMPLIANT'), evaluation(B2, 'COMPLIANT')] });
      await solveWith(context(), NO_WAIT);
      const put = cfg.commandCalls(PutRemediationConfigurationsCommand)[0].args[0].input.RemediationConfigurations?.[0] as RemediationConfiguration;
      const facts = solvedFacts();
      facts.remediations.value = [JSON.parse(JSON.stringify(put))];
      expect(run(facts).checks.filter((c) => c.status !== 'PASS')).toEqual([]);
    });

    it('updates the trust policy of a role left from an earlier run, and starts the remediation by hand when none ran', async () => {
      iam.on(CreateRoleCommand).rejects(awsError('EntityAlreadyExists', `Role with name ${SOLUTION_ROLE_NAME} already exists.`, 409));
      iam.on(UpdateAssumeRolePolicyCommand).resolves({});
      cfg
        .on(GetComplianceDetailsByConfigRuleCommand)
        .resolvesOnce({ EvaluationResults: [evaluation(B1, 'NON_COMPLIANT'), evaluation(B2, 'COMPLIANT')] })
        .resolvesOnce({ EvaluationResults: [evaluation(B1, 'NON_COMPLIANT'), evaluation(B2, 'COMPLIANT')] })
        .resolvesOnce({ EvaluationResults: [evaluation(B1, 'NON_COMPLIANT'), evaluation(B2, 'COMPLIANT')] })
        .resolves({ EvaluationResults: [evaluation(B1, 'COMPLIANT'), evaluation(B2, 'COMPLIANT')] });
      await solveWith(context(), NO_WAIT);
      expect(iam.commandCalls(UpdateAssumeRolePolicyCommand)[0].args[0].input).toEqual({ RoleName: SOLUTION_ROLE_NAME, PolicyDocument: TRUST });
      expect(cfg.commandCalls(PutRemediationConfigurationsCommand)[0].args[0].input.RemediationConfigurations?.[0].Parameters?.AutomationAssumeRole).toEqual({
        StaticValue: { Values: [ROLE_ARN] },
      });
      expect(cfg.commandCalls(StartRemediationExecutionCommand).map((c) => c.args[0].input)).toEqual([
        { ConfigRuleName: RULE, ResourceKeys: [{ resourceType: 'AWS::S3::Bucket', resourceId: B1 }] },
      ]);
    });

    it('gives up with a TIMEOUT that points to doplab check when the buckets never become compliant', async () => {
      cfg.on(GetComplianceDetailsByConfigRuleCommand).resolves({ EvaluationResults: [evaluation(B1, 'NON_COMPLIANT'), evaluation(B2, 'COMPLIANT')] });
      await expect(solveWith(context(), NO_WAIT)).rejects.toMatchObject({ code: 'TIMEOUT', message: expect.stringMatching(`Buckets ${B1} were still not COMPLIANT`), hint: /doplab check config-remediation/ });
    });

    it('carries on when an evaluation of the rule is already running', async () => {
      cfg.on(StartConfigRulesEvaluationCommand).rejects(awsError('LimitExceededException', 'An evaluation is in progress for this rule.'));
      cfg.on(GetComplianceDetailsByConfigRuleCommand).resolves({ EvaluationResults: [evaluation(B1, 'COMPLIANT'), evaluation(B2, 'COMPLIANT')] });
      const lines: string[] = [];
      await solveWith(context(lines), NO_WAIT);
      expect(lines).toContain(`An evaluation of ${RULE} is already running`);
    });

    it('stops when AWS Config refuses the remediation', async () => {
      cfg.on(PutRemediationConfigurationsCommand).resolves({ FailedBatches: [{ FailureMessage: 'Invalid parameter AutomationAssumeRole', FailedItems: [REMEDIATION_INPUT] }] });
      await expect(solveWith(context(), NO_WAIT)).rejects.toMatchObject({ message: expect.stringMatching(/refused the remediation of .*: Invalid parameter AutomationAssumeRole/) });
      expect(cfg.commandCalls(StartConfigRulesEvaluationCommand)).toHaveLength(0);
    });
  });
});
