import 'aws-sdk-client-mock-jest';
import { join } from 'node:path';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, DescribeAlarmsCommand, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import {
  BatchGetDeploymentTargetsCommand,
  BatchGetDeploymentsCommand,
  CodeDeployClient,
  CreateDeploymentCommand,
  GetDeploymentCommand,
  GetDeploymentConfigCommand,
  GetDeploymentGroupCommand,
  ListDeploymentsCommand,
  StopDeploymentCommand,
  UpdateDeploymentGroupCommand,
} from '@aws-sdk/client-codedeploy';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { DescribeRulesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { checker, taskDefinitionRevision, type CodeDeployBlueGreenFacts } from '../../checkers/codedeploy-blue-green';
import { AwsSession, isReadOnlyAction } from '../../lib/aws/clients';
import type { Status } from '../../lib/checker';
import { allPassed, checkerActions } from '../../lib/engine';
import { DoplabError } from '../../lib/errors';
import { loadFactsFile } from '../../lib/facts-file';
import type { SolutionContext } from '../../lib/lab';
import { lab } from '../../labs/codedeploy-blue-green/lab';
import { Outputs } from '../../labs/codedeploy-blue-green/contract';
import { alarmName, appSpec, POLL_MS, solveWith, SOLUTION_DEPLOYMENT_CONFIG } from '../../labs/codedeploy-blue-green/solution';
import {
  ACCOUNT,
  BLUE_ARN,
  DEPLOYMENT_ID,
  GREEN_ARN,
  REGION,
  STACK_CREATED_AT,
  STACK_OUTPUTS,
  TASK_DEFINITION_V1,
  TASK_DEFINITION_V2,
  inProgressWorld,
  solvedWorld,
  startingWorld,
  type AnswerWrapper,
  type AwsWorld,
} from '../fixtures/codedeploy-blue-green/aws-world';
import { CREDENTIALS, FACTS_FILES, SDK_MODULES, freshFactsFile, gatherWorld } from '../fixtures/codedeploy-blue-green/gather-world';
import { MockedSession, awsError } from '../support/mocked-session';
import { checkFinder, factsRunner } from '../support/checker-tests';

const FIXTURES = join(__dirname, '..', 'fixtures', 'codedeploy-blue-green');
const CHECK_IDS = ['traffic-shifting-gradual', 'rollback-alarm', 'auto-rollback', 'v2-deployed', 'production-serves-new-version', 'validation-hook'] as const;

function load(path: string) {
  return loadFactsFile(path, checker.labId, checker.factsSchema);
}

const run = factsRunner(checker, ACCOUNT, REGION);

const check = checkFinder(CHECK_IDS);

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- fixtures are edited freely in tests
type Mutable<T> = { -readonly [K in keyof T]: any };
const solvedFacts = () => structuredClone(load(lab.examples.solved).facts) as Mutable<CodeDeployBlueGreenFacts>;
const fixture = (name: string) => structuredClone(load(join(FIXTURES, `${name}.json`)).facts) as Mutable<CodeDeployBlueGreenFacts>;

describe('codedeploy-blue-green checker', () => {
  describe('declaration', () => {
    it('has five required checks worth 100 points and an optional hook check worth 10 extra, each proving a lab task statement', () => {
      expect(checker.checks.map((c) => c.id)).toEqual([...CHECK_IDS]);
      expect(checker.checks.filter((c) => !c.optional).reduce((sum, c) => sum + c.points, 0)).toBe(100);
      expect(checker.checks.filter((c) => c.optional).map((c) => [c.id, c.points])).toEqual([['validation-hook', 10]]);
      for (const c of checker.checks) expect(lab.taskStatements).toContain(c.taskStatement);
    });

    it('declares only read-only actions', () => {
      expect(checkerActions(checker)).toEqual([
        'cloudformation:DescribeStacks',
        'cloudwatch:DescribeAlarms',
        'codedeploy:BatchGetDeploymentTargets',
        'codedeploy:BatchGetDeployments',
        'codedeploy:GetDeploymentConfig',
        'codedeploy:GetDeploymentGroup',
        'codedeploy:ListDeployments',
        'ecs:DescribeServices',
        'elasticloadbalancing:DescribeRules',
      ]);
      expect(checkerActions(checker).every(isReadOnlyAction)).toBe(true);
    });
  });

  describe('checks on facts', () => {
    // Statuses in CHECK_IDS order: traffic shifting, alarm, rollback, v2 deployed, production, hook (optional).
    it.each<[string, string, Status[]]>([
      ['starting (example)', lab.examples.starting, ['FAIL', 'FAIL', 'FAIL', 'FAIL', 'SKIPPED', 'SKIPPED']],
      ['partially configured', join(FIXTURES, 'partial.json'), ['PASS', 'FAIL', 'PASS', 'FAIL', 'SKIPPED', 'SKIPPED']],
      ['deployment in progress', join(FIXTURES, 'in-progress.json'), ['PASS', 'PASS', 'PASS', 'PENDING', 'SKIPPED', 'SKIPPED']],
      ['rolled back on alarm', join(FIXTURES, 'rolled-back.json'), ['PASS', 'PASS', 'PASS', 'FAIL', 'SKIPPED', 'SKIPPED']],
      ['solved (example)', lab.examples.solved, ['PASS', 'PASS', 'PASS', 'PASS', 'PASS', 'FAIL']],
      ['GetDeploymentGroup denied', join(FIXTURES, 'group-access-denied.json'), ['ERROR', 'ERROR', 'ERROR', 'PASS', 'PASS', 'FAIL']],
    ])('judges the %s state', (_, path, expected) => {
      const result = run(load(path).facts);
      expect(result.checks.map((c) => c.status)).toEqual(expected);
      for (const c of result.checks) if (c.status !== 'PASS') expect(c.hint).toBeTruthy();
    });

    it('scores 0 on the starting state, saying what it saw and where', () => {
      const result = run(load(lab.examples.starting).facts);
      expect(result.score).toBe(0);
      const where = `deployment group ${STACK_OUTPUTS.DeploymentGroupName} of application ${STACK_OUTPUTS.ApplicationName} in ${REGION}`;
      expect(check(result, 'traffic-shifting-gradual').evidence).toEqual({
        observed: 'configuration CodeDeployDefault.ECSAllAtOnce: AllAtOnce traffic routing',
        expected: 'a canary or linear deployment configuration (TimeBasedCanary or TimeBasedLinear traffic routing), not all at once',
        where,
      });
      expect(check(result, 'rollback-alarm').evidence?.observed).toBe('no alarm in the alarm configuration');
      expect(check(result, 'auto-rollback').evidence).toMatchObject({
        observed: 'rolls back on DEPLOYMENT_FAILURE only',
        expected: 'automatic rollback enabled on DEPLOYMENT_FAILURE and DEPLOYMENT_STOP_ON_ALARM; DEPLOYMENT_STOP_ON_ALARM missing',
      });
      expect(check(result, 'v2-deployed').evidence?.observed).toBe(`no deployment in the group since the lab was deployed (${STACK_CREATED_AT})`);
    });

    it('gives full marks on the solved state, the lab passing without the optional hook', () => {
      const result = run(load(lab.examples.solved).facts);
      expect(result).toMatchObject({ score: 100, maxScore: 100 });
      expect(allPassed(result)).toBe(true);
      expect(check(result, 'validation-hook').evidence?.observed).toBe(
        'AfterAllowTestTraffic Skipped, BeforeAllowTraffic Skipped (skipped: the AppSpec names no function for them)',
      );
      expect(check(result, 'production-serves-new-version').evidence?.observed).toBe(
        'the default rule forwards 100% to the green target group; the new task set is in the green target group',
      );
    });

    it('is pending while the canary runs, showing the traffic split and the lifecycle event under way', () => {
      const c = check(run(fixture('in-progress')), 'v2-deployed');
      expect(c).toMatchObject({ status: 'PENDING', points: 0 });
      expect(c.evidence?.observed).toBe(
        `deployment ${DEPLOYMENT_ID} (created 2026-11-23T10:16:40.118Z) is InProgress (production traffic original 90% / replacement 10%; AllowTraffic in progress)`,
      );
      expect(c.hint).toMatch(/--wait/);
    });

    it.each(['Created', 'Queued', 'Ready', 'Baking'])('is pending while the newest deployment is %s', (status) => {
      const facts = fixture('in-progress');
      facts.deployments.value[0].status = status;
      expect(check(run(facts), 'v2-deployed').status).toBe('PENDING');
    });

    it('falls back to the deployment overview when the deployment target could not be read', () => {
      const facts = fixture('in-progress');
      facts.deploymentTarget = { ok: false, error: { code: 'THROTTLED', message: 'Rate exceeded', action: 'codedeploy:BatchGetDeploymentTargets' } };
      expect(check(run(facts), 'v2-deployed').evidence?.observed).toMatch(/is InProgress \(0 Pending, 1 InProgress, 0 Succeeded, 0 Failed, 0 Skipped, 0 Ready target\(s\)\)$/);
    });

    it("fails with CodeDeploy's reason and the rollback when the alarm stopped the deployment, ignoring the rollback deployment", () => {
      const c = check(run(fixture('rolled-back')), 'v2-deployed');
      expect(c.status).toBe('FAIL');
      expect(c.evidence?.observed).toMatch(new RegExp(`^deployment ${DEPLOYMENT_ID} \\(created .*\\) is Stopped: ALARM_ACTIVE: One or more alarms have been activated`));
      expect(c.evidence?.observed).toMatch(/Activated alarms: <doplab-codedeploy-blue-green-green-target-5xx>; rolled back by d-4TRW8N1VC/);
      expect(c.hint).toMatch(/rolled back/);
    });

    it('passes once a later deployment succeeds after a rollback', () => {
      const facts = fixture('rolled-back');
      const solved = solvedFacts();
      facts.deployments.value.unshift({ ...solved.deployments.value[0], deploymentId: 'd-9ZPLK3JQ2', createTime: '2026-11-23T10:31:02.000Z' });
      facts.service = solved.service;
      facts.productionRules = solved.productionRules;
      expect(run(facts).score).toBe(100);
    });

    it('gives 10 extra points for a validation hook that ran and succeeded', () => {
      const facts = solvedFacts();
      const hook = facts.deploymentTarget.value.lifecycleEvents.find((e: { lifecycleEventName: string }) => e.lifecycleEventName === 'AfterAllowTestTraffic');
      hook.status = 'Succeeded';
      const result = run(facts);
      expect(result).toMatchObject({ score: 110, maxScore: 100 });
      expect(check(result, 'validation-hook').evidence?.observed).toBe('AfterAllowTestTraffic Succeeded, BeforeAllowTraffic Skipped');
    });

    it('fails the hook check, explaining the status report, when a hook did not report success', () => {
      const facts = solvedFacts();
      const hook = facts.deploymentTarget.value.lifecycleEvents.find((e: { lifecycleEventName: string }) => e.lifecycleEventName === 'BeforeAllowTraffic');
      hook.status = 'Unknown';
      const c = check(run(facts), 'validation-hook');
      expect(c.status).toBe('FAIL');
      expect(c.hint).toMatch(/PutLifecycleEventHookExecutionStatus within an hour/);
    });

    it('fails a deployment that failed without a rollback, hinting at the usual causes', () => {
      const facts = solvedFacts();
      Object.assign(facts.deployments.value[0], {
        status: 'Failed',
        errorInformation: { code: 'ECS_UPDATE_ERROR', message: 'The ECS service cannot be updated due to an error. The container name wb in the AppSpec is not in the task definition.' },
      });
      const c = check(run(facts), 'v2-deployed');
      expect(c.evidence?.observed).toMatch(/is Failed: ECS_UPDATE_ERROR: The ECS service cannot be updated/);
      expect(c.hint).toMatch(/wrong container name or port/);
    });

    it('does not count deployments from before the stack was created', () => {
      const facts = solvedFacts();
      facts.deployments.value[0].createTime = '2026-11-23T09:58:00.000Z';
      expect(check(run(facts), 'v2-deployed').evidence?.observed).toMatch(/^no deployment in the group since the lab was deployed/);
    });

    it.each<[string, Record<string, unknown>, Status, RegExp]>([
      ['linear 10% every minute', { type: 'TimeBasedLinear', timeBasedLinear: { linearPercentage: 10, linearInterval: 1 } }, 'PASS', /TimeBasedLinear, 10% every 1 min/],
      ['a custom canary of 25% for 2 minutes', { type: 'TimeBasedCanary', timeBasedCanary: { canaryPercentage: 25, canaryInterval: 2 } }, 'PASS', /25% first, the rest after 2 min/],
      ['a canary of 100%', { type: 'TimeBasedCanary', timeBasedCanary: { canaryPercentage: 100, canaryInterval: 5 } }, 'FAIL', /100% first/],
      ['linear steps of 100%', { type: 'TimeBasedLinear', timeBasedLinear: { linearPercentage: 100, linearInterval: 1 } }, 'FAIL', /100% every 1 min/],
      ['all at once', { type: 'AllAtOnce' }, 'FAIL', /AllAtOnce traffic routing/],
    ])('judges a deployment configuration shifting %s', (_, routing, expected, observed) => {
      const facts = solvedFacts();
      facts.deploymentConfig.value = { deploymentConfigName: 'custom', computePlatform: 'ECS', trafficRoutingConfig: routing };
      facts.deploymentGroup.value.deploymentConfigName = 'custom';
      const c = check(run(facts), 'traffic-shifting-gradual');
      expect(c.status).toBe(expected);
      expect(c.evidence?.observed).toMatch(observed);
    });

    it.each<[string, (facts: Mutable<CodeDeployBlueGreenFacts>) => void, Status, RegExp]>([
      ['alarm monitoring disabled', (f) => (f.deploymentGroup.value.alarmConfiguration.enabled = false), 'FAIL', /alarm monitoring is disabled \(alarms listed: /],
      [
        'an alarm that does not exist',
        (f) => {
          f.alarms.value = [];
        },
        'FAIL',
        /"doplab-codedeploy-blue-green-blue-target-5xx" does not exist in CloudWatch/,
      ],
      [
        'alarms on another metric',
        (f) => {
          for (const a of f.alarms.value) Object.assign(a, { Namespace: 'AWS/ECS', MetricName: 'CPUUtilization', Dimensions: [{ Name: 'ClusterName', Value: 'c' }] });
        },
        'FAIL',
        /watches AWS\/ECS CPUUtilization \(ClusterName=c\)/,
      ],
      [
        'an alarm on the load balancer',
        (f) => {
          f.alarms.value = [{ ...f.alarms.value[0], MetricName: 'HTTPCode_ELB_5XX_Count', Dimensions: [{ Name: 'LoadBalancer', Value: STACK_OUTPUTS.LoadBalancerFullName }] }];
        },
        'PASS',
        /watches HTTPCode_ELB_5XX_Count of the load balancer/,
      ],
      [
        'a metric-math alarm on the green target group',
        (f) => {
          const green = f.alarms.value[1];
          f.alarms.value = [
            {
              AlarmName: f.alarms.value[0].AlarmName,
              StateValue: 'OK',
              Metrics: [
                { Id: 'errors', MetricStat: { Metric: { Namespace: green.Namespace, MetricName: green.MetricName, Dimensions: green.Dimensions }, Period: 60, Stat: 'Sum' }, ReturnData: false },
                { Id: 'e1', Expression: 'FILL(errors, 0)', ReturnData: true },
              ],
            },
          ];
        },
        'PASS',
        /watches HTTPCode_Target_5XX_Count of the green target group \(in metric math\)/,
      ],
    ])('judges %s', (_, edit, expected, observed) => {
      const facts = solvedFacts();
      edit(facts);
      const c = check(run(facts), 'rollback-alarm');
      expect(c.status).toBe(expected);
      expect(c.evidence?.observed).toMatch(observed);
    });

    it.each<[string, Record<string, unknown>, string]>([
      ['disabled', { enabled: false, events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM'] }, 'automatic rollback is disabled'],
      ['on alarm only', { enabled: true, events: ['DEPLOYMENT_STOP_ON_ALARM'] }, 'rolls back on DEPLOYMENT_STOP_ON_ALARM only'],
      ['on request and failure', { enabled: true, events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST'] }, 'rolls back on DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_REQUEST'],
    ])('fails automatic rollback %s', (_, config, observed) => {
      const facts = solvedFacts();
      facts.deploymentGroup.value.autoRollbackConfiguration = config;
      const c = check(run(facts), 'auto-rollback');
      expect(c.status).toBe('FAIL');
      expect(c.evidence?.observed).toBe(observed);
    });

    it('fails a succeeded deployment that redeployed the starting revision', () => {
      const facts = solvedFacts();
      facts.service.value.taskSets[0].taskDefinition = TASK_DEFINITION_V1;
      const c = check(run(facts), 'v2-deployed');
      expect(c.status).toBe('FAIL');
      expect(c.hint).toMatch(/redeployed the revision the lab started with/);
    });

    it("fails a deployment of another task definition family, naming the lab's", () => {
      const facts = solvedFacts();
      facts.service.value.taskSets[0].taskDefinition = `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/my-web:7`;
      expect(check(run(facts), 'v2-deployed').hint).toMatch(/doplab-codedeploy-blue-green-web/);
    });

    it('fails production traffic still split between the target groups', () => {
      const facts = solvedFacts();
      facts.productionRules.value[0].Actions[0] = {
        Type: 'forward',
        Order: 1,
        ForwardConfig: { TargetGroups: [{ TargetGroupArn: GREEN_ARN, Weight: 80 }, { TargetGroupArn: BLUE_ARN, Weight: 20 }] },
      };
      const c = check(run(facts), 'production-serves-new-version');
      expect(c.status).toBe('FAIL');
      expect(c.evidence?.observed).toBe('the default rule forwards 80% to the green target group, 20% to the blue target group; the new task set is in the green target group');
    });

    it('fails production traffic answered by a fixed response instead of forwarded', () => {
      const facts = solvedFacts();
      facts.productionRules.value[0].Actions = [{ Type: 'fixed-response', Order: 1, FixedResponseConfig: { StatusCode: '503' } }];
      const c = check(run(facts), 'production-serves-new-version');
      expect(c.status).toBe('FAIL');
      expect(c.evidence?.observed).toBe('the default rule forwards nowhere; the new task set is in the green target group');
    });

    it('fails with a redeploy hint when the deployment group is gone', () => {
      const facts = solvedFacts();
      facts.deploymentGroup = { ok: true, value: null };
      facts.deploymentConfig = { ok: true, value: null };
      const c = check(run(facts), 'traffic-shifting-gradual');
      expect(c).toMatchObject({ status: 'FAIL', evidence: { observed: 'the deployment group does not exist' } });
      expect(c.hint).toMatch(/doplab deploy codedeploy-blue-green/);
    });

    it('errors the deployment checks, naming the action, when DescribeServices was denied', () => {
      const facts = solvedFacts();
      facts.service = { ok: false, error: { code: 'ACCESS_DENIED', message: 'denied', action: 'ecs:DescribeServices' } };
      const result = run(facts);
      expect(check(result, 'v2-deployed')).toMatchObject({ status: 'ERROR', error: { action: 'ecs:DescribeServices' } });
      expect(check(result, 'production-serves-new-version').status).toBe('SKIPPED');
      expect(result.score).toBe(60);
    });

    it('reads task definition revisions from their ARNs', () => {
      expect(taskDefinitionRevision(TASK_DEFINITION_V2)).toEqual({ family: 'doplab-codedeploy-blue-green-web', revision: 2 });
      expect(taskDefinitionRevision('doplab-codedeploy-blue-green-web')).toBeUndefined();
    });

    it('rejects malformed facts', () => {
      const facts = solvedFacts();
      facts.targetGroups = [facts.targetGroups[0]];
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

    it('sends exactly the declared read-only calls, each once, with the inputs the checks need', async () => {
      const { stubs: s, actions } = await gather(solvedWorld());
      expect(s.codedeploy.commandCalls(GetDeploymentGroupCommand).map((c) => c.args[0].input)).toEqual([
        { applicationName: STACK_OUTPUTS.ApplicationName, deploymentGroupName: STACK_OUTPUTS.DeploymentGroupName },
      ]);
      expect(s.codedeploy.commandCalls(GetDeploymentConfigCommand).map((c) => c.args[0].input)).toEqual([{ deploymentConfigName: SOLUTION_DEPLOYMENT_CONFIG }]);
      expect(s.codedeploy.commandCalls(ListDeploymentsCommand).map((c) => c.args[0].input)).toEqual([
        {
          applicationName: STACK_OUTPUTS.ApplicationName,
          deploymentGroupName: STACK_OUTPUTS.DeploymentGroupName,
          createTimeRange: { start: new Date(STACK_CREATED_AT) },
        },
      ]);
      expect(s.codedeploy.commandCalls(BatchGetDeploymentsCommand).map((c) => c.args[0].input)).toEqual([{ deploymentIds: [DEPLOYMENT_ID] }]);
      expect(s.codedeploy.commandCalls(BatchGetDeploymentTargetsCommand).map((c) => c.args[0].input)).toEqual([
        { deploymentId: DEPLOYMENT_ID, targetIds: [`${STACK_OUTPUTS.ClusterName}:${STACK_OUTPUTS.ServiceName}`] },
      ]);
      expect(s.cloudwatch.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input)).toEqual([
        { AlarmNames: [alarmName('blue'), alarmName('green')], AlarmTypes: ['MetricAlarm'] },
      ]);
      expect(s.ecs.commandCalls(DescribeServicesCommand).map((c) => c.args[0].input)).toEqual([
        { cluster: STACK_OUTPUTS.ClusterName, services: [STACK_OUTPUTS.ServiceName] },
      ]);
      expect(s.elbv2.commandCalls(DescribeRulesCommand).map((c) => c.args[0].input)).toEqual([{ ListenerArn: STACK_OUTPUTS.ProductionListenerArn }]);
      expect(s.cloudformation).toHaveReceivedCommandTimes(DescribeStacksCommand, 1);
      expect([...actions].sort()).toEqual(checkerActions(checker));
      expect(actions.every(isReadOnlyAction)).toBe(true);
    });

    it('needs four sequential round trips: the stack, four reads in parallel, then the config, alarms and deployments, then the target', async () => {
      // Each answer takes 20 ms; a call's round is one more than the deepest round finished when it was sent.
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
        GetDeploymentGroup: 2,
        ListDeployments: 2,
        DescribeServices: 2,
        DescribeRules: 2,
        GetDeploymentConfig: 3,
        DescribeAlarms: 3,
        BatchGetDeployments: 3,
        BatchGetDeploymentTargets: 4,
      });
    });

    it('skips the reads that have nothing to read on the starting state: no alarms, no deployment target', async () => {
      const { stubs: s, file } = await gather(startingWorld());
      expect(s.cloudwatch.calls()).toHaveLength(0);
      expect(s.codedeploy.commandCalls(BatchGetDeploymentsCommand)).toHaveLength(0);
      expect(s.codedeploy.commandCalls(BatchGetDeploymentTargetsCommand)).toHaveLength(0);
      expect(file.facts.alarms).toEqual({ ok: true, value: [] });
      expect(file.facts.deploymentTarget).toEqual({ ok: true, value: null });
    });

    it('keeps at most 50 deployments, in two BatchGetDeployments calls of 25', async () => {
      const world = solvedWorld();
      const template = world.deployments[0];
      world.deployments = Array.from({ length: 60 }, (_, i) => ({
        ...template,
        deploymentId: `d-${String(i).padStart(9, '0')}`,
        createTime: new Date(Date.parse('2026-11-23T11:00:00.000Z') - i * 60_000),
      }));
      const { stubs: s, file } = await gather(world);
      expect(s.codedeploy.commandCalls(BatchGetDeploymentsCommand).map((c) => c.args[0].input.deploymentIds?.length)).toEqual([25, 25]);
      expect(file.facts.deployments.ok && file.facts.deployments.value[0].deploymentId).toBe('d-000000000');
    });

    it('records a deleted deployment group as null, not an error', async () => {
      const { file } = await gather(solvedWorld(), (s) =>
        s.codedeploy.on(GetDeploymentGroupCommand).rejects(awsError('DeploymentGroupDoesNotExistException', 'No Deployment Group found for name: x')),
      );
      expect(file.facts.deploymentGroup).toEqual({ ok: true, value: null });
      expect(file.facts.deploymentConfig).toEqual({ ok: true, value: null });
      expect(check(run(file.facts), 'auto-rollback').hint).toMatch(/doplab deploy/);
    });

    it('records an inactive service as null; the deployment check fails instead of crashing', async () => {
      const world = solvedWorld();
      world.service = { ...world.service, status: 'INACTIVE' };
      const { file } = await gather(world);
      expect(file.facts.service).toEqual({ ok: true, value: null });
      expect(check(run(file.facts), 'v2-deployed').evidence?.observed).toMatch(/runs no task definition/);
    });

    it('records throttling that outlasts the retries as an ERROR of the checks that need it', async () => {
      jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
      try {
        const pending = gather(solvedWorld(), (s) => s.elbv2.on(DescribeRulesCommand).rejects(awsError('Throttling', 'Rate exceeded')));
        let settled = false;
        void pending.finally(() => (settled = true));
        for (let waited = 0; !settled && waited < 120_000; waited += 250) await jest.advanceTimersByTimeAsync(250);
        const { file } = await pending;
        expect(file.facts.productionRules).toMatchObject({ ok: false, error: { code: 'THROTTLED', action: 'elasticloadbalancing:DescribeRules' } });
        const result = run(file.facts);
        expect(check(result, 'production-serves-new-version').status).toBe('ERROR');
        expect(check(result, 'v2-deployed').status).toBe('PASS');
      } finally {
        jest.useRealTimers();
      }
    });
  });

  describe('read-only guard', () => {
    it('refuses StopDeployment on a checker client before anything is sent', async () => {
      const codedeploy = mockClient(CodeDeployClient);
      try {
        const session = new MockedSession({ region: REGION, credentials: CREDENTIALS }, SDK_MODULES);
        const client = session.readOnlyClient(CodeDeployClient, REGION);
        await expect(client.send(new StopDeploymentCommand({ deploymentId: DEPLOYMENT_ID }))).rejects.toThrow(/Refused codedeploy:StopDeployment/);
        expect(codedeploy.calls()).toHaveLength(0);
      } finally {
        codedeploy.restore();
      }
    });
  });

  describe('solution', () => {
    let cloudwatch: AwsClientStub<CloudWatchClient>;
    let codedeploy: AwsClientStub<CodeDeployClient>;
    let ecs: AwsClientStub<ECSClient>;
    let sleeps: number[];
    const sleep = async (ms: number) => {
      sleeps.push(ms);
    };
    const TASK_DEFINITION = {
      taskDefinitionArn: TASK_DEFINITION_V1,
      family: 'doplab-codedeploy-blue-green-web',
      revision: 1,
      taskRoleArn: `arn:aws:iam::${ACCOUNT}:role/DopLab-codedeploy-blue-green-TaskDefinitionTaskRoleFD40-Zx8Cv7Bn6Mq5`,
      executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/DopLab-codedeploy-blue-green-TaskDefinitionExecutionRo-Lk4Jh3Gf2Ds1`,
      networkMode: 'awsvpc' as const,
      requiresCompatibilities: ['FARGATE' as const],
      cpu: '256',
      memory: '512',
      status: 'ACTIVE' as const,
      containerDefinitions: [
        {
          name: 'web',
          image: 'public.ecr.aws/nginx/nginx@sha256:f248a8862fa9b21badbe043518f52f143946e2dc705300e8534f8ca624a291b2',
          essential: true,
          environment: [{ name: 'VERSION', value: '1' }],
          portMappings: [{ containerPort: 80, hostPort: 80, protocol: 'tcp' as const }],
          logConfiguration: { logDriver: 'awslogs' as const, options: { 'awslogs-group': '/doplab/codedeploy-blue-green/web', 'awslogs-region': REGION, 'awslogs-stream-prefix': 'web' } },
        },
      ],
    };

    beforeEach(() => {
      cloudwatch = mockClient(CloudWatchClient);
      codedeploy = mockClient(CodeDeployClient);
      ecs = mockClient(ECSClient);
      sleeps = [];
      cloudwatch.on(PutMetricAlarmCommand).resolves({});
      codedeploy.on(UpdateDeploymentGroupCommand).resolves({ hooksNotCleanedUp: [] });
      codedeploy.on(ListDeploymentsCommand).resolves({ deployments: [] });
      codedeploy.on(CreateDeploymentCommand).resolves({ deploymentId: DEPLOYMENT_ID });
      codedeploy
        .on(GetDeploymentCommand)
        .resolvesOnce({ deploymentInfo: { deploymentId: DEPLOYMENT_ID, status: 'InProgress' } })
        .resolvesOnce({ deploymentInfo: { deploymentId: DEPLOYMENT_ID, status: 'InProgress' } })
        .resolves({ deploymentInfo: { deploymentId: DEPLOYMENT_ID, status: 'Succeeded' } });
      ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: TASK_DEFINITION });
      ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { ...TASK_DEFINITION, taskDefinitionArn: TASK_DEFINITION_V2, revision: 2 } });
    });

    afterEach(() => {
      cloudwatch.restore();
      codedeploy.restore();
      ecs.restore();
    });

    function context(lines: string[] = []): SolutionContext<typeof Outputs> {
      const session = new AwsSession({ region: REGION, credentials: CREDENTIALS });
      const outputs = Object.fromEntries(Object.entries(Outputs).map(([key, id]) => [key, STACK_OUTPUTS[id]])) as SolutionContext<typeof Outputs>['outputs'];
      return { outputs, region: REGION, account: ACCOUNT, client: (ctor) => session.client(ctor, REGION), log: (line) => lines.push(line) };
    }

    it('alarms both target groups, reconfigures the group, ships VERSION=2 with an AppSpec, and waits for it', async () => {
      const lines: string[] = [];
      await solveWith(context(lines), sleep);

      expect(cloudwatch.commandCalls(PutMetricAlarmCommand).map((c) => [c.args[0].input.AlarmName, c.args[0].input.Dimensions])).toEqual([
        [alarmName('blue'), [{ Name: 'TargetGroup', Value: STACK_OUTPUTS.BlueTargetGroupFullName }, { Name: 'LoadBalancer', Value: STACK_OUTPUTS.LoadBalancerFullName }]],
        [alarmName('green'), [{ Name: 'TargetGroup', Value: STACK_OUTPUTS.GreenTargetGroupFullName }, { Name: 'LoadBalancer', Value: STACK_OUTPUTS.LoadBalancerFullName }]],
      ]);
      expect(cloudwatch.commandCalls(PutMetricAlarmCommand)[0].args[0].input).toMatchObject({
        Namespace: 'AWS/ApplicationELB',
        MetricName: 'HTTPCode_Target_5XX_Count',
        Statistic: 'Sum',
        Period: 60,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
      expect(codedeploy.commandCalls(UpdateDeploymentGroupCommand).map((c) => c.args[0].input)).toEqual([
        {
          applicationName: STACK_OUTPUTS.ApplicationName,
          currentDeploymentGroupName: STACK_OUTPUTS.DeploymentGroupName,
          deploymentConfigName: 'CodeDeployDefault.ECSCanary10Percent5Minutes',
          alarmConfiguration: { enabled: true, ignorePollAlarmFailure: false, alarms: [{ name: alarmName('blue') }, { name: alarmName('green') }] },
          autoRollbackConfiguration: { enabled: true, events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM'] },
        },
      ]);
      const registered = ecs.commandCalls(RegisterTaskDefinitionCommand)[0].args[0].input;
      expect(registered).toMatchObject({ family: 'doplab-codedeploy-blue-green-web', cpu: '256', memory: '512', executionRoleArn: TASK_DEFINITION.executionRoleArn });
      expect(registered.containerDefinitions?.[0]).toEqual({ ...TASK_DEFINITION.containerDefinitions[0], environment: [{ name: 'VERSION', value: '2' }] });
      expect(codedeploy.commandCalls(CreateDeploymentCommand).map((c) => c.args[0].input)).toEqual([
        {
          applicationName: STACK_OUTPUTS.ApplicationName,
          deploymentGroupName: STACK_OUTPUTS.DeploymentGroupName,
          description: 'doplab codedeploy-blue-green: ship VERSION=2',
          revision: { revisionType: 'AppSpecContent', appSpecContent: { content: appSpec(TASK_DEFINITION_V2) } },
        },
      ]);
      // The AppSpec reference allows only "0.0", as a string (issue 10, defect 5): the number 0.0 is sent as 0.
      expect(appSpec(TASK_DEFINITION_V2)).toMatch(/^\{"version":"0\.0",/);
      expect(JSON.parse(appSpec(TASK_DEFINITION_V2))).toEqual({
        version: '0.0',
        Resources: [
          { TargetService: { Type: 'AWS::ECS::Service', Properties: { TaskDefinition: TASK_DEFINITION_V2, LoadBalancerInfo: { ContainerName: 'web', ContainerPort: 80 } } } },
        ],
      });
      expect(codedeploy).toHaveReceivedCommandTimes(GetDeploymentCommand, 3);
      expect(sleeps).toEqual([POLL_MS, POLL_MS]);
      expect(lines).toEqual(expect.arrayContaining([`  ${DEPLOYMENT_ID}: InProgress`, `  ${DEPLOYMENT_ID}: Succeeded`]));
    });

    it('waits for a deployment already under way before creating its own', async () => {
      codedeploy.on(ListDeploymentsCommand).resolves({ deployments: ['d-EARLIER01'] });
      codedeploy.on(GetDeploymentCommand, { deploymentId: 'd-EARLIER01' }).resolves({ deploymentInfo: { status: 'Stopped' } });
      await solveWith(context(), sleep);
      const order = codedeploy.calls().map((c) => `${c.args[0].constructor.name}:${(c.args[0].input as { deploymentId?: string }).deploymentId ?? ''}`);
      expect(order.indexOf('GetDeploymentCommand:d-EARLIER01')).toBeLessThan(order.indexOf('CreateDeploymentCommand:'));
    });

    it('fails with the deployment error when CodeDeploy rolls the deployment back', async () => {
      codedeploy.on(GetDeploymentCommand).resolves({
        deploymentInfo: { deploymentId: DEPLOYMENT_ID, status: 'Stopped', errorInformation: { code: 'ALARM_ACTIVE', message: 'One or more alarms have been activated' } },
      });
      const error = await solveWith(context(), sleep).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DoplabError);
      expect(error).toMatchObject({ code: 'DEPLOY_FAILED', message: `CodeDeploy deployment ${DEPLOYMENT_ID} ended Stopped: One or more alarms have been activated.` });
    });

    it('leaves a group and alarms the checks accept, once the deployment has succeeded', async () => {
      await solveWith(context(), sleep);
      const update = codedeploy.commandCalls(UpdateDeploymentGroupCommand)[0].args[0].input;
      const world = inProgressWorld();
      const solved = solvedWorld();
      world.deploymentGroup = {
        ...world.deploymentGroup,
        deploymentConfigName: update.deploymentConfigName,
        alarmConfiguration: update.alarmConfiguration,
        autoRollbackConfiguration: update.autoRollbackConfiguration,
      };
      world.alarms = cloudwatch.commandCalls(PutMetricAlarmCommand).map(({ args }) => {
        const { Tags: _tags, ...alarm } = args[0].input;
        return { ...alarm, StateValue: 'OK' };
      });
      Object.assign(world, { deployments: solved.deployments, targets: solved.targets, service: solved.service, productionRules: solved.productionRules });
      cloudwatch.restore();
      codedeploy.restore();
      ecs.restore();
      const { stubs, file } = await gatherWorld(world);
      try {
        const result = run(file.facts);
        expect(result.checks.filter((c) => !c.optional && c.status !== 'PASS')).toEqual([]);
        expect(allPassed(result)).toBe(true);
      } finally {
        stubs.restore();
      }
    });
  });
});
