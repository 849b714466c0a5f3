import 'aws-sdk-client-mock-jest';
import { join } from 'node:path';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, DescribeAlarmsCommand, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import {
  BatchGetDeploymentGroupsCommand,
  BatchGetDeploymentTargetsCommand,
  BatchGetDeploymentsCommand,
  CodeDeployClient,
  CreateDeploymentCommand,
  CreateDeploymentGroupCommand,
  GetDeploymentCommand,
  GetDeploymentConfigCommand,
  ListDeploymentGroupsCommand,
  ListDeploymentTargetsCommand,
  ListDeploymentsCommand,
  StopDeploymentCommand,
  UpdateDeploymentGroupCommand,
} from '@aws-sdk/client-codedeploy';
import {
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { appSpecTargetVersion, checker, MAX_TARGETED, type LambdaCanaryFacts } from '../../checkers/lambda-canary';
import { AwsSession, isReadOnlyAction } from '../../lib/aws/clients';
import type { Status } from '../../lib/checker';
import { allPassed, checkerActions } from '../../lib/engine';
import { DoplabError } from '../../lib/errors';
import { loadFactsFile } from '../../lib/facts-file';
import type { SolutionContext } from '../../lib/lab';
import { solutionActions } from '../../labs/lambda-canary/calls';
import { Outputs } from '../../labs/lambda-canary/contract';
import { lab } from '../../labs/lambda-canary/lab';
import { appSpec, POLL_MS, SOLUTION_ALARM_NAME, SOLUTION_DEPLOYMENT_CONFIG, SOLUTION_GROUP_NAME, solveWith } from '../../labs/lambda-canary/solution';
import {
  ACCOUNT,
  ALARM,
  GROUP,
  REGION,
  ROLLBACK_DEPLOYMENT,
  STACK_CREATED_AT,
  STACK_OUTPUTS,
  V2_DEPLOYMENT,
  V3_DEPLOYMENT,
  group,
  solvedWorld,
  startingWorld,
  type AnswerWrapper,
  type AwsWorld,
} from '../fixtures/lambda-canary/aws-world';
import { CREDENTIALS, FACTS_FILES, SDK_MODULES, freshFactsFile, gatherWorld } from '../fixtures/lambda-canary/gather-world';
import { MockedSession, awsError } from '../support/mocked-session';
import { checkFinder, factsRunner, itDeclaresChecks } from '../support/checker-tests';

const FIXTURES = join(__dirname, '..', 'fixtures', 'lambda-canary');
const CHECK_IDS = ['canary-config', 'alarm-rollback', 'hook-ran', 'v2-released', 'bad-release-rolled-back'] as const;
const FN = STACK_OUTPUTS.FunctionName;

function load(path: string) {
  return loadFactsFile(path, checker.labId, checker.factsSchema);
}

const run = factsRunner(checker, ACCOUNT, REGION);

const check = checkFinder(CHECK_IDS);

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- fixtures are edited freely in tests
type Mutable<T> = { -readonly [K in keyof T]: any };
const solvedFacts = () => structuredClone(load(lab.examples.solved).facts) as Mutable<LambdaCanaryFacts>;
const fixture = (name: string) => structuredClone(load(join(FIXTURES, `${name}.json`)).facts) as Mutable<LambdaCanaryFacts>;
const deploymentOf = (facts: Mutable<LambdaCanaryFacts>, id: string) => facts.deployments.value.find((d: { deploymentId: string }) => d.deploymentId === id);
const targetOf = (facts: Mutable<LambdaCanaryFacts>, id: string) => facts.targets.value.find((t: { deploymentId: string }) => t.deploymentId === id);

describe('lambda-canary checker', () => {
  describe('declaration', () => {
    itDeclaresChecks(checker, lab.taskStatements, CHECK_IDS, [
      'cloudformation:DescribeStacks',
      'cloudwatch:DescribeAlarms',
      'codedeploy:BatchGetDeploymentGroups',
      'codedeploy:BatchGetDeploymentTargets',
      'codedeploy:BatchGetDeployments',
      'codedeploy:GetDeploymentConfig',
      'codedeploy:ListDeploymentGroups',
      'codedeploy:ListDeploymentTargets',
      'codedeploy:ListDeployments',
      'lambda:GetAlias',
      'lambda:ListVersionsByFunction',
    ]);
  });

  describe('checks on facts', () => {
    // Statuses in CHECK_IDS order: canary, alarm rollback, hook, v2 released, bad release rolled back.
    it.each<[string, string, Status[]]>([
      ['starting (example)', lab.examples.starting, ['FAIL', 'FAIL', 'FAIL', 'FAIL', 'FAIL']],
      ['partially configured (alarm on unqualified Errors)', join(FIXTURES, 'partial.json'), ['PASS', 'FAIL', 'FAIL', 'FAIL', 'FAIL']],
      ['release 2 canary under way', join(FIXTURES, 'v2-in-progress.json'), ['PASS', 'PASS', 'PASS', 'PENDING', 'FAIL']],
      ['release 2 waiting on a silent hook', join(FIXTURES, 'silent-hook.json'), ['PASS', 'PASS', 'PENDING', 'PENDING', 'FAIL']],
      ['release 3 rolling back', join(FIXTURES, 'v3-rolling-back.json'), ['PASS', 'PASS', 'PASS', 'PENDING', 'PENDING']],
      ['solved (example)', lab.examples.solved, ['PASS', 'PASS', 'PASS', 'PASS', 'PASS']],
      ['GetAlias denied', join(FIXTURES, 'alias-access-denied.json'), ['PASS', 'PASS', 'PASS', 'ERROR', 'ERROR']],
    ])('judges the %s state', (_, path, expected) => {
      const result = run(load(path).facts);
      expect(result.checks.map((c) => c.status)).toEqual(expected);
      for (const c of result.checks) if (c.status !== 'PASS') expect(c.hint).toBeTruthy();
    });

    it('scores 0 on the starting state, saying what it saw and where', () => {
      const result = run(load(lab.examples.starting).facts);
      expect(result.score).toBe(0);
      expect(check(result, 'canary-config').evidence).toEqual({
        observed: 'the application has no deployment group',
        expected: 'a TimeBasedCanary configuration that shifts at most 25% first and waits at least 3 minutes before the rest',
        where: `CodeDeploy application DopLab-lambda-canary in ${REGION}`,
      });
      expect(check(result, 'canary-config').hint).toMatch(/ServiceRoleArn/);
      expect(check(result, 'v2-released').evidence?.observed).toBe('no CodeDeploy deployment to release 2; alias live points to version 1 (RELEASE=1)');
      expect(check(result, 'bad-release-rolled-back').evidence?.observed).toBe('no deployment to release 3 (and release 2 has not succeeded yet)');
    });

    it('gives full marks on the solved state, with the rollback as evidence', () => {
      const result = run(load(lab.examples.solved).facts);
      expect(result).toMatchObject({ score: 100, maxScore: 100 });
      expect(allPassed(result)).toBe(true);
      expect(check(result, 'bad-release-rolled-back').evidence?.observed).toMatch(
        new RegExp(`^deployment ${V3_DEPLOYMENT} \\(created .*\\) to version 3 \\(RELEASE=3\\) is Stopped: ALARM_ACTIVE: .*; rolled back by ${ROLLBACK_DEPLOYMENT}; alias live points to version 2 \\(RELEASE=2\\)$`),
      );
      expect(check(result, 'alarm-rollback').evidence?.observed).toBe(
        `rolls back on DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_ALARM; alarm "${ALARM}" watches Errors of ${FN}:live`,
      );
    });

    it('is pending during release 2, showing the traffic share and the lifecycle event under way', () => {
      const c = check(run(fixture('v2-in-progress')), 'v2-released');
      expect(c.evidence?.observed).toBe(
        `deployment ${V2_DEPLOYMENT} (created 2026-11-27T09:16:40.118Z) to version 2 (RELEASE=2) is InProgress (10% of traffic on the new version; AllowTraffic in progress)`,
      );
      expect(c.hint).toMatch(/--wait/);
    });

    it('names what a silent hook must call (trap: a hook that never reports)', () => {
      const c = check(run(fixture('silent-hook')), 'hook-ran');
      expect(c.evidence?.observed).toBe('BeforeAllowTraffic InProgress since 2026-11-27T09:17:00.000Z');
      expect(c.hint).toMatch(/PutLifecycleEventHookExecutionStatus/);
    });

    it('fails a hook that reported Failed or timed out, with CodeDeploy\'s diagnostics and what the hook must call', () => {
      const facts = fixture('silent-hook');
      const event = targetOf(facts, V2_DEPLOYMENT).lifecycleEvents[0];
      Object.assign(event, { status: 'Failed', diagnostics: { errorCode: 'UnknownError', message: 'The hook timed out waiting for a status.' } });
      const c = check(run(facts), 'hook-ran');
      expect(c.status).toBe('FAIL');
      expect(c.evidence?.observed).toBe('BeforeAllowTraffic Failed: UnknownError: The hook timed out waiting for a status.');
      expect(c.hint).toMatch(/PutLifecycleEventHookExecutionStatus/);
    });

    it('fails a release without a hook: BeforeAllowTraffic Skipped', () => {
      const facts = solvedFacts();
      targetOf(facts, V2_DEPLOYMENT).lifecycleEvents[0].status = 'Skipped';
      const c = check(run(facts), 'hook-ran');
      expect(c).toMatchObject({ status: 'FAIL', evidence: { observed: 'BeforeAllowTraffic Skipped: the AppSpec names no BeforeAllowTraffic hook' } });
    });

    it('errors the hook check only when the deployment targets could not be read; the releases still judge from the AppSpec', () => {
      const facts = solvedFacts();
      facts.targets = { ok: false, error: { code: 'THROTTLED', message: 'Rate exceeded', action: 'codedeploy:BatchGetDeploymentTargets' } };
      const result = run(facts);
      expect(result.checks.map((c) => c.status)).toEqual(['PASS', 'PASS', 'ERROR', 'PASS', 'PASS']);
    });

    it('fails release 2 moved by hand, without CodeDeploy (trap)', () => {
      const facts = fixture('v2-in-progress');
      facts.deployments.value = [];
      facts.targets.value = [];
      facts.alias.value = { Name: 'live', FunctionVersion: '2' };
      const c = check(run(facts), 'v2-released');
      expect(c.status).toBe('FAIL');
      expect(c.evidence?.observed).toBe('no CodeDeploy deployment to release 2; alias live points to version 2 (RELEASE=2)');
      expect(c.hint).toMatch(/moved by hand/);
    });

    it('fails release 2 whose deployment failed, with the reason', () => {
      const facts = fixture('v2-in-progress');
      Object.assign(facts.deployments.value[0], { status: 'Failed', errorInformation: { code: 'HOOK_EXECUTION_FAILURE', message: 'lifecycle event BeforeAllowTraffic failed' } });
      const c = check(run(facts), 'v2-released');
      expect(c.status).toBe('FAIL');
      expect(c.evidence?.observed).toMatch(/is Failed: HOOK_EXECUTION_FAILURE: lifecycle event BeforeAllowTraffic failed; alias live points to version 1/);
    });

    it('judges releases by the RELEASE a version runs, not by its number', () => {
      const facts = solvedFacts();
      facts.versions.value = [
        { version: '1', release: '1' },
        { version: '2', release: '3' },
        { version: '3', release: '2' },
      ];
      const c = check(run(facts), 'v2-released');
      expect(c.status).toBe('FAIL');
      expect(c.evidence?.observed).toMatch(new RegExp(`^deployment ${V3_DEPLOYMENT} \\(created .*\\) to version 3 \\(RELEASE=2\\) is Stopped: .*; alias live points to version 2 \\(RELEASE=3\\)$`));
    });

    it('does not count deployments from before the stack was created', () => {
      const facts = solvedFacts();
      for (const d of facts.deployments.value) d.createTime = '2026-11-27T08:58:00.000Z';
      expect(check(run(facts), 'v2-released').evidence?.observed).toMatch(/^no CodeDeploy deployment to release 2/);
    });

    it('reads the target version from the AppSpec when CodeDeploy has not filled in the target yet', () => {
      const facts = solvedFacts();
      for (const t of facts.targets.value) delete t.lambdaFunctionInfo;
      expect(run(facts).score).toBe(100);
      expect(appSpecTargetVersion("Resources:\n  - f:\n      Properties:\n        TargetVersion: '4'")).toBe('4');
      expect(appSpecTargetVersion(undefined)).toBeUndefined();
    });

    it.each<[string, Record<string, unknown>, Status, RegExp]>([
      ['a canary of 10% for 5 minutes', { type: 'TimeBasedCanary', timeBasedCanary: { canaryPercentage: 10, canaryInterval: 5 } }, 'PASS', /10% first, the rest after 5 min/],
      ['a custom canary of 25% for 3 minutes', { type: 'TimeBasedCanary', timeBasedCanary: { canaryPercentage: 25, canaryInterval: 3 } }, 'PASS', /25% first, the rest after 3 min/],
      ['a canary of 30% first', { type: 'TimeBasedCanary', timeBasedCanary: { canaryPercentage: 30, canaryInterval: 5 } }, 'FAIL', /30% first/],
      ['a canary of 2 minutes', { type: 'TimeBasedCanary', timeBasedCanary: { canaryPercentage: 10, canaryInterval: 2 } }, 'FAIL', /after 2 min/],
      ['linear 10% every minute', { type: 'TimeBasedLinear', timeBasedLinear: { linearPercentage: 10, linearInterval: 1 } }, 'FAIL', /TimeBasedLinear, 10% every 1 min/],
      ['all at once', { type: 'AllAtOnce' }, 'FAIL', /AllAtOnce traffic routing/],
    ])('judges a deployment configuration shifting %s', (_, routing, expected, observed) => {
      const facts = solvedFacts();
      facts.deploymentConfigs.value = [{ deploymentConfigName: 'custom', computePlatform: 'Lambda', trafficRoutingConfig: routing }];
      facts.deploymentGroups.value[0].deploymentConfigName = 'custom';
      const c = check(run(facts), 'canary-config');
      expect(c.status).toBe(expected);
      expect(c.evidence?.observed).toMatch(observed);
    });

    it('judges the group the learner deploys with when there are several', () => {
      const facts = solvedFacts();
      facts.deploymentGroups.value = [{ ...facts.deploymentGroups.value[0], deploymentGroupName: 'a-all-at-once', deploymentConfigName: 'CodeDeployDefault.LambdaAllAtOnce' }, ...facts.deploymentGroups.value];
      facts.deploymentConfigs.value.push({ deploymentConfigName: 'CodeDeployDefault.LambdaAllAtOnce', computePlatform: 'Lambda', trafficRoutingConfig: { type: 'AllAtOnce' } });
      expect(check(run(facts), 'canary-config')).toMatchObject({ status: 'PASS', evidence: { where: expect.stringContaining(`deployment group ${GROUP}`) } });
      facts.deployments.value = [];
      expect(check(run(facts), 'canary-config')).toMatchObject({ status: 'FAIL', evidence: { where: expect.stringContaining('deployment group a-all-at-once') } });
    });

    const aliasDims = [
      { Name: 'FunctionName', Value: FN },
      { Name: 'Resource', Value: `${FN}:live` },
    ];
    it.each<[string, (facts: Mutable<LambdaCanaryFacts>) => void, Status, RegExp, RegExp | undefined]>([
      ['rollback on failure only', (f) => (f.deploymentGroups.value[0].autoRollbackConfiguration.events = ['DEPLOYMENT_FAILURE']), 'FAIL', /^rolls back on DEPLOYMENT_FAILURE$/, undefined],
      ['rollback disabled', (f) => (f.deploymentGroups.value[0].autoRollbackConfiguration.enabled = false), 'FAIL', /^automatic rollback is disabled$/, undefined],
      ['alarm monitoring disabled', (f) => (f.deploymentGroups.value[0].alarmConfiguration.enabled = false), 'FAIL', /alarm monitoring is disabled \(alarms listed: /, undefined],
      ['an alarm that does not exist', (f) => (f.alarms.value = []), 'FAIL', /does not exist in CloudWatch/, /by name/],
      [
        "the function's unqualified Errors (trap)",
        (f) => (f.alarms.value[0].Dimensions = [{ Name: 'FunctionName', Value: FN }]),
        'FAIL',
        /watches AWS\/Lambda Errors \(FunctionName=DopLab-lambda-canary-pricing\)/,
        /unqualified Errors.*Resource dimension/,
      ],
      ['one version\'s Errors', (f) => (f.alarms.value[0].Dimensions = [{ Name: 'FunctionName', Value: FN }, { Name: 'Resource', Value: `${FN}:2` }]), 'FAIL', /Resource=DopLab-lambda-canary-pricing:2/, /one published version/],
      ['another function', (f) => (f.alarms.value[0].Dimensions = [{ Name: 'FunctionName', Value: 'orders' }, { Name: 'Resource', Value: 'orders:live' }]), 'FAIL', /FunctionName=orders/, undefined],
      ['Throttles of the alias', (f) => (f.alarms.value[0].MetricName = 'Throttles'), 'FAIL', /AWS\/Lambda Throttles/, undefined],
      [
        "an error rate of the alias in metric math",
        (f) => {
          f.alarms.value[0] = {
            AlarmName: ALARM,
            StateValue: 'OK',
            Metrics: [
              { Id: 'errors', MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: aliasDims }, Period: 60, Stat: 'Sum' }, ReturnData: false },
              { Id: 'calls', MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Invocations', Dimensions: aliasDims }, Period: 60, Stat: 'Sum' }, ReturnData: false },
              { Id: 'rate', Expression: '100 * errors / calls', ReturnData: true },
            ],
          };
        },
        'PASS',
        /watches Errors of DopLab-lambda-canary-pricing:live/,
        undefined,
      ],
    ])('judges %s', (_, edit, expected, observed, hint) => {
      const facts = solvedFacts();
      edit(facts);
      const c = check(run(facts), 'alarm-rollback');
      expect(c.status).toBe(expected);
      expect(c.evidence?.observed).toMatch(observed);
      if (hint) expect(c.hint).toMatch(hint);
    });

    it('fails release 3 that went out to all traffic, hinting at the alarm', () => {
      const facts = solvedFacts();
      Object.assign(deploymentOf(facts, V3_DEPLOYMENT), { status: 'Succeeded', errorInformation: undefined, rollbackInfo: undefined });
      facts.deployments.value = facts.deployments.value.filter((d: { deploymentId: string }) => d.deploymentId !== ROLLBACK_DEPLOYMENT);
      facts.alias.value = { Name: 'live', FunctionVersion: '3' };
      const result = run(facts);
      const c = check(result, 'bad-release-rolled-back');
      expect(c.status).toBe('FAIL');
      expect(c.hint).toMatch(/nothing stopped the canary/);
      expect(check(result, 'v2-released').status).toBe('FAIL');
    });

    it('fails release 3 stopped without a rollback', () => {
      const facts = solvedFacts();
      delete deploymentOf(facts, V3_DEPLOYMENT).rollbackInfo;
      const c = check(run(facts), 'bad-release-rolled-back');
      expect(c).toMatchObject({ status: 'FAIL', evidence: { observed: expect.stringMatching(/; no rollback$/) } });
      expect(c.hint).toMatch(/automatic rollback/);
    });

    it('is pending while release 3 is in its canary', () => {
      const facts = fixture('v3-rolling-back');
      facts.deployments.value = facts.deployments.value.filter((d: { deploymentId: string }) => d.deploymentId !== ROLLBACK_DEPLOYMENT);
      Object.assign(deploymentOf(facts, V3_DEPLOYMENT), { status: 'InProgress', errorInformation: undefined, rollbackInfo: undefined });
      const result = run(facts);
      expect(check(result, 'bad-release-rolled-back').status).toBe('PENDING');
      expect(check(result, 'v2-released').status).toBe('PENDING');
    });

    it('ignores a release 3 that came before release 2', () => {
      const facts = solvedFacts();
      deploymentOf(facts, V3_DEPLOYMENT).createTime = '2026-11-27T09:10:00.000Z';
      expect(check(run(facts), 'bad-release-rolled-back').evidence?.observed).toBe(`no deployment to release 3 after ${V2_DEPLOYMENT} released 2`);
    });

    it('fails when the alias is no longer on release 2 alone after the rollback', () => {
      const facts = solvedFacts();
      facts.alias.value = { Name: 'live', FunctionVersion: '2', RoutingConfig: { AdditionalVersionWeights: { '3': 0.1 } } };
      const c = check(run(facts), 'bad-release-rolled-back');
      expect(c).toMatchObject({ status: 'FAIL', evidence: { observed: expect.stringMatching(/alias live points to version 2 \(RELEASE=2\), routing 10% to version 3 \(RELEASE=3\)$/) } });
    });

    it('says so when the alias is gone', () => {
      const facts = solvedFacts();
      facts.alias.value = null;
      expect(check(run(facts), 'v2-released')).toMatchObject({ status: 'FAIL', evidence: { observed: expect.stringMatching(/; alias live does not exist$/) } });
    });

    it('rejects malformed facts', () => {
      const facts = solvedFacts();
      facts.versions = { ok: true, value: [{ release: '2' }] };
      expect(checker.factsSchema.safeParse(facts).success).toBe(false);
      expect(checker.factsSchema.safeParse(solvedFacts()).success).toBe(true);
    });
  });

  describe('gather', () => {
    let stubs: Awaited<ReturnType<typeof gatherWorld>>['stubs'] | undefined;
    afterEach(() => {
      stubs?.restore();
      stubs = undefined;
    });

    async function gather(world: AwsWorld, fault?: Parameters<typeof gatherWorld>[1]) {
      const actions: string[] = [];
      const out = await gatherWorld(world, fault, (action) => actions.push(action));
      stubs = out.stubs;
      return { ...out, actions };
    }

    it.each(Object.keys(FACTS_FILES))('records the shipped %s facts exactly as gather does today', async (name) => {
      const fresh = await freshFactsFile(name);
      expect(fresh).toEqual(load(FACTS_FILES[name].path));
    });

    it('sends exactly the declared read-only calls, with the inputs the checks need', async () => {
      const { stubs: s, actions } = await gather(solvedWorld());
      const app = STACK_OUTPUTS.ApplicationName;
      expect(s.codedeploy.commandCalls(ListDeploymentGroupsCommand).map((c) => c.args[0].input)).toEqual([{ applicationName: app }]);
      expect(s.codedeploy.commandCalls(BatchGetDeploymentGroupsCommand).map((c) => c.args[0].input)).toEqual([{ applicationName: app, deploymentGroupNames: [GROUP] }]);
      expect(s.codedeploy.commandCalls(GetDeploymentConfigCommand).map((c) => c.args[0].input)).toEqual([{ deploymentConfigName: SOLUTION_DEPLOYMENT_CONFIG }]);
      expect(s.codedeploy.commandCalls(ListDeploymentsCommand).map((c) => c.args[0].input)).toEqual([
        { applicationName: app, deploymentGroupName: GROUP, createTimeRange: { start: new Date(STACK_CREATED_AT) } },
      ]);
      expect(s.codedeploy.commandCalls(BatchGetDeploymentsCommand).map((c) => c.args[0].input)).toEqual([{ deploymentIds: [ROLLBACK_DEPLOYMENT, V3_DEPLOYMENT, V2_DEPLOYMENT] }]);
      // The learner's deployments only: CodeDeploy's rollback is not theirs.
      expect(s.codedeploy.commandCalls(ListDeploymentTargetsCommand).map((c) => c.args[0].input)).toEqual([{ deploymentId: V3_DEPLOYMENT }, { deploymentId: V2_DEPLOYMENT }]);
      expect(s.codedeploy.commandCalls(BatchGetDeploymentTargetsCommand).map((c) => c.args[0].input)).toEqual([
        { deploymentId: V3_DEPLOYMENT, targetIds: [`${FN}:live`] },
        { deploymentId: V2_DEPLOYMENT, targetIds: [`${FN}:live`] },
      ]);
      expect(s.cloudwatch.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input)).toEqual([{ AlarmNames: [ALARM], AlarmTypes: ['MetricAlarm'] }]);
      expect(s.lambda.commandCalls(GetAliasCommand).map((c) => c.args[0].input)).toEqual([{ FunctionName: FN, Name: 'live' }]);
      expect(s.lambda.commandCalls(ListVersionsByFunctionCommand).map((c) => c.args[0].input)).toEqual([{ FunctionName: FN }]);
      expect(s.cloudformation).toHaveReceivedCommandTimes(DescribeStacksCommand, 1);
      expect([...new Set(actions)].sort()).toEqual(checkerActions(checker));
      expect(actions.every(isReadOnlyAction)).toBe(true);
    });

    it('needs six sequential round trips: the stack; group names, alias, versions; groups and deployment ids; configs, alarms, deployments; target ids; targets', async () => {
      let finished = 0;
      const rounds: Record<string, number> = {};
      const slow: AnswerWrapper = (operation, answer) => async (input) => {
        const round = finished + 1;
        rounds[operation] = Math.max(rounds[operation] ?? 0, round);
        await new Promise((resolve) => setTimeout(resolve, 20));
        finished = Math.max(finished, round);
        return answer(input);
      };
      const out = await gatherWorld(solvedWorld(), undefined, undefined, slow);
      stubs = out.stubs;
      expect(rounds).toEqual({
        DescribeStacks: 1,
        ListDeploymentGroups: 2,
        GetAlias: 2,
        ListVersionsByFunction: 2,
        BatchGetDeploymentGroups: 3,
        ListDeployments: 3,
        GetDeploymentConfig: 4,
        DescribeAlarms: 4,
        BatchGetDeployments: 4,
        ListDeploymentTargets: 5,
        BatchGetDeploymentTargets: 6,
      });
    });

    it('reads nothing past the groups on the starting state: no group, no alarms, no deployments', async () => {
      const { stubs: s, file } = await gather(startingWorld());
      expect(s.codedeploy.commandCalls(BatchGetDeploymentGroupsCommand)).toHaveLength(0);
      expect(s.cloudwatch.calls()).toHaveLength(0);
      expect(s.codedeploy.commandCalls(ListDeploymentsCommand)).toHaveLength(0);
      expect(s.codedeploy.commandCalls(ListDeploymentTargetsCommand)).toHaveLength(0);
      expect(file.facts.deploymentGroups).toEqual({ ok: true, value: [] });
      expect(file.facts.versions).toEqual({ ok: true, value: [{ version: '1', release: '1', lastModified: '2026-11-27T09:03:14.000+0000' }] });
    });

    it(`reads the targets of the newest ${MAX_TARGETED} learner deployments only`, async () => {
      const world = solvedWorld();
      const template = world.deployments[2];
      world.deployments = Array.from({ length: 14 }, (_, i) => ({ ...template, deploymentId: `d-${String(i).padStart(9, '0')}`, createTime: new Date(Date.parse('2026-11-27T11:00:00.000Z') - i * 60_000) }));
      const { stubs: s } = await gather(world);
      expect(s.codedeploy.commandCalls(ListDeploymentTargetsCommand).map((c) => c.args[0].input.deploymentId)).toEqual(
        Array.from({ length: MAX_TARGETED }, (_, i) => `d-${String(i).padStart(9, '0')}`),
      );
    });

    it('records a deleted application as no group, and a deleted alias as null, not errors', async () => {
      const world = solvedWorld();
      world.alias = null;
      const { file } = await gather(world, (s) =>
        s.codedeploy.on(ListDeploymentGroupsCommand).rejects(awsError('ApplicationDoesNotExistException', 'No application found for name: DopLab-lambda-canary')),
      );
      expect(file.facts.deploymentGroups).toEqual({ ok: true, value: [] });
      expect(file.facts.alias).toEqual({ ok: true, value: null });
      expect(check(run(file.facts), 'canary-config').evidence?.observed).toBe('the application has no deployment group');
    });

    it('errors the checks that need the groups when ListDeploymentGroups is denied, and still judges the alias', async () => {
      const { file } = await gather(solvedWorld(), (s) =>
        s.codedeploy.on(ListDeploymentGroupsCommand).rejects(awsError('AccessDeniedException', 'User is not authorized to perform: codedeploy:ListDeploymentGroups')),
      );
      const result = run(file.facts);
      expect(result.checks.map((c) => c.status)).toEqual(['ERROR', 'ERROR', 'ERROR', 'ERROR', 'ERROR']);
      expect(check(result, 'canary-config').error).toMatchObject({ code: 'ACCESS_DENIED', action: 'codedeploy:ListDeploymentGroups' });
      expect(file.facts.alias.ok).toBe(true);
    });
    it('errors only the group checks when BatchGetDeploymentGroups is denied: the releases are judged from the deployments', async () => {
      const { file } = await gather(solvedWorld(), (s) =>
        s.codedeploy.on(BatchGetDeploymentGroupsCommand).rejects(awsError('AccessDeniedException', 'User is not authorized to perform: codedeploy:BatchGetDeploymentGroups')),
      );
      expect(run(file.facts).checks.map((c) => c.status)).toEqual(['ERROR', 'ERROR', 'PASS', 'PASS', 'PASS']);
    });
  });

  describe('read-only guard', () => {
    it('refuses StopDeployment on a checker client before anything is sent', async () => {
      const codedeploy = mockClient(CodeDeployClient);
      try {
        const session = new MockedSession({ region: REGION, credentials: CREDENTIALS }, SDK_MODULES);
        const client = session.readOnlyClient(CodeDeployClient, REGION);
        await expect(client.send(new StopDeploymentCommand({ deploymentId: V2_DEPLOYMENT }))).rejects.toThrow(/Refused codedeploy:StopDeployment/);
        expect(codedeploy.calls()).toHaveLength(0);
      } finally {
        codedeploy.restore();
      }
    });
  });

  describe('solution', () => {
    let cloudwatch: AwsClientStub<CloudWatchClient>;
    let codedeploy: AwsClientStub<CodeDeployClient>;
    let lambda: AwsClientStub<LambdaClient>;
    let sleeps: number[];
    const sleep = async (ms: number) => {
      sleeps.push(ms);
    };

    beforeEach(() => {
      cloudwatch = mockClient(CloudWatchClient);
      codedeploy = mockClient(CodeDeployClient);
      lambda = mockClient(LambdaClient);
      sleeps = [];
      cloudwatch.on(PutMetricAlarmCommand).resolves({});
      codedeploy.on(CreateDeploymentGroupCommand).resolves({ deploymentGroupId: '6f1d0b2e-8c3a-4f57-9e21-b4d7a9c03e15' });
      codedeploy.on(ListDeploymentsCommand).resolves({ deployments: [] });
      codedeploy.on(CreateDeploymentCommand).resolvesOnce({ deploymentId: V2_DEPLOYMENT }).resolves({ deploymentId: V3_DEPLOYMENT });
      codedeploy
        .on(GetDeploymentCommand, { deploymentId: V2_DEPLOYMENT })
        .resolvesOnce({ deploymentInfo: { deploymentId: V2_DEPLOYMENT, status: 'InProgress' } })
        .resolves({ deploymentInfo: { deploymentId: V2_DEPLOYMENT, status: 'Succeeded' } });
      codedeploy.on(GetDeploymentCommand, { deploymentId: V3_DEPLOYMENT }).resolves({
        deploymentInfo: {
          deploymentId: V3_DEPLOYMENT,
          status: 'Stopped',
          errorInformation: { code: 'ALARM_ACTIVE', message: 'One or more alarms have been activated' },
          rollbackInfo: { rollbackDeploymentId: ROLLBACK_DEPLOYMENT },
        },
      });
      codedeploy.on(GetDeploymentCommand, { deploymentId: ROLLBACK_DEPLOYMENT }).resolves({ deploymentInfo: { deploymentId: ROLLBACK_DEPLOYMENT, status: 'Succeeded' } });
      lambda
        .on(GetFunctionConfigurationCommand)
        .resolvesOnce({ Environment: { Variables: { RELEASE: '1', OTHER: 'kept' } } })
        .resolvesOnce({ LastUpdateStatus: 'InProgress' })
        .resolves({ LastUpdateStatus: 'Successful', Environment: { Variables: { RELEASE: '2', OTHER: 'kept' } } });
      lambda.on(UpdateFunctionConfigurationCommand).resolves({});
      lambda.on(PublishVersionCommand).resolvesOnce({ Version: '2' }).resolves({ Version: '3' });
      lambda.on(GetAliasCommand).resolvesOnce({ FunctionVersion: '1' }).resolves({ FunctionVersion: '2' });
    });

    afterEach(() => {
      cloudwatch.restore();
      codedeploy.restore();
      lambda.restore();
    });

    function context(lines: string[] = []): SolutionContext<typeof Outputs> {
      const session = new AwsSession({ region: REGION, credentials: CREDENTIALS });
      const outputs = Object.fromEntries(Object.entries(Outputs).map(([key, id]) => [key, STACK_OUTPUTS[id]])) as SolutionContext<typeof Outputs>['outputs'];
      return { outputs, region: REGION, account: ACCOUNT, client: (ctor) => session.client(ctor, REGION), log: (line) => lines.push(line) };
    }

    it('alarms the alias, creates the canary group, releases 2 and 3 with the hook, and waits for the rollback', async () => {
      const lines: string[] = [];
      await solveWith(context(lines), sleep);

      expect(cloudwatch.commandCalls(PutMetricAlarmCommand)[0].args[0].input).toMatchObject({
        AlarmName: SOLUTION_ALARM_NAME,
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [
          { Name: 'FunctionName', Value: FN },
          { Name: 'Resource', Value: `${FN}:live` },
        ],
        Statistic: 'Sum',
        Period: 60,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
      expect(codedeploy.commandCalls(CreateDeploymentGroupCommand)[0].args[0].input).toEqual({
        applicationName: STACK_OUTPUTS.ApplicationName,
        deploymentGroupName: SOLUTION_GROUP_NAME,
        deploymentConfigName: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
        serviceRoleArn: STACK_OUTPUTS.ServiceRoleArn,
        alarmConfiguration: { enabled: true, ignorePollAlarmFailure: false, alarms: [{ name: SOLUTION_ALARM_NAME }] },
        autoRollbackConfiguration: { enabled: true, events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM'] },
        deploymentStyle: { deploymentType: 'BLUE_GREEN', deploymentOption: 'WITH_TRAFFIC_CONTROL' },
        tags: [{ Key: 'doplab:lab', Value: 'lambda-canary' }],
      });
      expect(lambda.commandCalls(UpdateFunctionConfigurationCommand).map((c) => c.args[0].input)).toEqual([
        { FunctionName: FN, Environment: { Variables: { RELEASE: '2', OTHER: 'kept' } } },
        { FunctionName: FN, Environment: { Variables: { RELEASE: '3', OTHER: 'kept' } } },
      ]);
      expect(codedeploy.commandCalls(CreateDeploymentCommand).map((c) => c.args[0].input)).toEqual([
        {
          applicationName: STACK_OUTPUTS.ApplicationName,
          deploymentGroupName: SOLUTION_GROUP_NAME,
          description: 'doplab lambda-canary: release RELEASE=2',
          revision: { revisionType: 'AppSpecContent', appSpecContent: { content: appSpec(FN, 'live', '1', '2', STACK_OUTPUTS.HookFunctionName) } },
        },
        {
          applicationName: STACK_OUTPUTS.ApplicationName,
          deploymentGroupName: SOLUTION_GROUP_NAME,
          description: 'doplab lambda-canary: release RELEASE=3',
          revision: { revisionType: 'AppSpecContent', appSpecContent: { content: appSpec(FN, 'live', '2', '3', STACK_OUTPUTS.HookFunctionName) } },
        },
      ]);
      expect(codedeploy.commandCalls(GetDeploymentCommand).map((c) => c.args[0].input.deploymentId)).toEqual([V2_DEPLOYMENT, V2_DEPLOYMENT, V3_DEPLOYMENT, ROLLBACK_DEPLOYMENT]);
      expect(sleeps).toEqual([POLL_MS / 5, POLL_MS]);
      expect(lines).toEqual(expect.arrayContaining([`Release 3 ended Stopped (ALARM_ACTIVE: One or more alarms have been activated); waiting for rollback ${ROLLBACK_DEPLOYMENT}`]));
    });

    it('sends an AppSpec whose version is the string "0.0", with the hook as BeforeAllowTraffic', () => {
      expect(JSON.parse(appSpec(FN, 'live', '1', '2', STACK_OUTPUTS.HookFunctionName))).toEqual({
        version: '0.0',
        Resources: [{ pricing: { Type: 'AWS::Lambda::Function', Properties: { Name: FN, Alias: 'live', CurrentVersion: '1', TargetVersion: '2' } } }],
        Hooks: [{ BeforeAllowTraffic: STACK_OUTPUTS.HookFunctionName }],
      });
    });

    it('updates the group it made on an earlier run', async () => {
      codedeploy.on(CreateDeploymentGroupCommand).rejects(awsError('DeploymentGroupAlreadyExistsException', 'The deployment group pricing-canary already exists'));
      codedeploy.on(UpdateDeploymentGroupCommand).resolves({});
      await solveWith(context(), sleep);
      expect(codedeploy.commandCalls(UpdateDeploymentGroupCommand)[0].args[0].input).toMatchObject({
        applicationName: STACK_OUTPUTS.ApplicationName,
        currentDeploymentGroupName: SOLUTION_GROUP_NAME,
        deploymentConfigName: SOLUTION_DEPLOYMENT_CONFIG,
      });
    });

    it('fails clearly when release 3 went out without a rollback', async () => {
      codedeploy.on(GetDeploymentCommand, { deploymentId: V3_DEPLOYMENT }).resolves({ deploymentInfo: { deploymentId: V3_DEPLOYMENT, status: 'Succeeded' } });
      const error = await solveWith(context(), sleep).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DoplabError);
      expect(error).toMatchObject({ code: 'DEPLOY_FAILED', message: `Release 3 (${V3_DEPLOYMENT}) ended Succeeded without a rollback.` });
    });

    it('fails clearly when release 2 does not succeed, and does not release 3', async () => {
      codedeploy.on(GetDeploymentCommand, { deploymentId: V2_DEPLOYMENT }).resolves({
        deploymentInfo: { deploymentId: V2_DEPLOYMENT, status: 'Failed', errorInformation: { code: 'HOOK_EXECUTION_FAILURE', message: 'BeforeAllowTraffic failed' } },
      });
      await expect(solveWith(context(), sleep)).rejects.toMatchObject({ code: 'DEPLOY_FAILED', message: `Release 2 (${V2_DEPLOYMENT}) ended Failed (HOOK_EXECUTION_FAILURE: BeforeAllowTraffic failed).` });
      expect(codedeploy.commandCalls(CreateDeploymentCommand)).toHaveLength(1);
    });

    it('sends exactly the actions calls.ts declares for it', async () => {
      codedeploy.on(CreateDeploymentGroupCommand).rejects(awsError('DeploymentGroupAlreadyExistsException', 'exists'));
      codedeploy.on(UpdateDeploymentGroupCommand).resolves({});
      await solveWith(context(), sleep);
      const name = (c: { args: unknown[] }) => (c.args[0] as object).constructor.name.replace(/Command$/, '');
      const sent = new Set([
        ...cloudwatch.calls().map((c) => `cloudwatch:${name(c)}`),
        ...codedeploy.calls().map((c) => `codedeploy:${name(c)}`),
        ...lambda.calls().map((c) => `lambda:${name(c)}`),
      ]);
      expect([...sent].sort()).toEqual([...solutionActions].sort());
    });

    it('leaves a state the checks accept once CodeDeploy has done its part', async () => {
      await solveWith(context(), sleep);
      const created = codedeploy.commandCalls(CreateDeploymentGroupCommand)[0].args[0].input;
      const alarm = cloudwatch.commandCalls(PutMetricAlarmCommand)[0].args[0].input;
      const world = solvedWorld();
      world.deploymentGroups = [
        group({
          deploymentGroupName: created.deploymentGroupName,
          deploymentConfigName: created.deploymentConfigName,
          alarmConfiguration: created.alarmConfiguration,
          autoRollbackConfiguration: created.autoRollbackConfiguration,
        }),
      ];
      const { Tags: _tags, ...alarmShape } = alarm;
      world.alarms = [{ ...alarmShape, StateValue: 'OK' }];
      cloudwatch.restore();
      codedeploy.restore();
      lambda.restore();
      const { stubs, file } = await gatherWorld(world);
      try {
        expect(allPassed(run(file.facts))).toBe(true);
      } finally {
        stubs.restore();
      }
    });
  });
});
