import 'aws-sdk-client-mock-jest';
import { join } from 'node:path';
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeInstanceRefreshesCommand,
  DescribePoliciesCommand,
  DescribeScalingActivitiesCommand,
  PutScalingPolicyCommand,
  StartInstanceRefreshCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CreateLaunchTemplateVersionCommand, DescribeInstancesCommand, DescribeLaunchTemplateVersionsCommand, DescribeLaunchTemplatesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { checker, isElbReplacement, MAX_ACTIVITIES, MAX_REFRESHES, type ScalingSelfHealingFacts } from '../../checkers/scaling-self-healing';
import { AwsSession, isReadOnlyAction } from '../../lib/aws/clients';
import type { Status } from '../../lib/checker';
import { allPassed, checkerActions } from '../../lib/engine';
import { loadFactsFile } from '../../lib/facts-file';
import type { SolutionContext } from '../../lib/lab';
import { solutionActions } from '../../labs/scaling-self-healing/calls';
import { Outputs } from '../../labs/scaling-self-healing/contract';
import { lab } from '../../labs/scaling-self-healing/lab';
import { POLL_MS, SOLUTION_BANNER, SOLUTION_POLICY_NAME, solveWith } from '../../labs/scaling-self-healing/solution';
import { ACCOUNT, GROUP, REGION, RESOURCE_LABEL, STACK_OUTPUTS, TEMPLATE_ID, solvedWorld, startingWorld, type AwsWorld } from '../fixtures/scaling-self-healing/aws-world';
import { CREDENTIALS, FACTS_FILES, SDK_MODULES, freshFactsFile, gatherWorld } from '../fixtures/scaling-self-healing/gather-world';
import { MockedSession, awsError } from '../support/mocked-session';
import { checkFinder, factsRunner, itDeclaresChecks } from '../support/checker-tests';

const FIXTURES = join(__dirname, '..', 'fixtures', 'scaling-self-healing');
const CHECK_IDS = ['multi-az', 'elb-health-checks', 'target-tracking', 'instance-refresh', 'self-healed'] as const;

function load(path: string) {
  return loadFactsFile(path, checker.labId, checker.factsSchema);
}

const run = factsRunner(checker, ACCOUNT, REGION);

const check = checkFinder(CHECK_IDS);

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- fixtures are edited freely in tests
type Mutable<T> = { -readonly [K in keyof T]: any };
const solvedFacts = () => structuredClone(load(lab.examples.solved).facts) as Mutable<ScalingSelfHealingFacts>;

describe('scaling-self-healing checker', () => {
  describe('declaration', () => {
    itDeclaresChecks(checker, lab.taskStatements, CHECK_IDS, [
      'autoscaling:DescribeAutoScalingGroups',
      'autoscaling:DescribeInstanceRefreshes',
      'autoscaling:DescribePolicies',
      'autoscaling:DescribeScalingActivities',
      'cloudformation:DescribeStacks',
      'ec2:DescribeInstances',
      'ec2:DescribeLaunchTemplates',
    ]);
  });

  describe('checks on facts', () => {
    it.each<[string, string, Status[]]>([
      ['starting (example)', lab.examples.starting, ['FAIL', 'FAIL', 'FAIL', 'FAIL', 'FAIL']],
      ['partially done (spread, ELB checks)', join(FIXTURES, 'partial.json'), ['PASS', 'PASS', 'FAIL', 'FAIL', 'FAIL']],
      ['refresh under way', join(FIXTURES, 'refreshing.json'), ['PASS', 'PASS', 'PASS', 'PENDING', 'FAIL']],
      ['replacement under way', join(FIXTURES, 'healing.json'), ['PASS', 'PASS', 'PASS', 'PASS', 'PENDING']],
      ['replaced in a loop (trap: no grace period)', join(FIXTURES, 'grace-loop.json'), ['PASS', 'FAIL', 'FAIL', 'FAIL', 'FAIL']],
      ['solved (example)', lab.examples.solved, ['PASS', 'PASS', 'PASS', 'PASS', 'PASS']],
      ['DescribeAutoScalingGroups denied', join(FIXTURES, 'group-access-denied.json'), ['ERROR', 'ERROR', 'PASS', 'ERROR', 'ERROR']],
    ])('judges the %s state', (_, path, expected) => {
      const result = run(load(path).facts);
      expect(result.checks.map((c) => c.status)).toEqual(expected);
      for (const c of result.checks) if (c.status !== 'PASS') expect(c.hint).toBeTruthy();
    });

    it('scores 0 on the starting state, saying what it saw and where', () => {
      const result = run(load(lab.examples.starting).facts);
      expect(result.score).toBe(0);
      expect(check(result, 'multi-az').evidence).toEqual({
        observed: '1 Availability Zone (eu-west-1a), MinSize 1, MaxSize 1',
        expected: 'subnets in at least 2 Availability Zones, MinSize ≥ 2, MaxSize ≤ 4',
        where: `Auto Scaling group ${GROUP} in ${REGION}`,
      });
      expect(check(result, 'elb-health-checks').evidence?.observed).toBe('health check type EC2, grace period 0 s');
      expect(check(result, 'self-healed').hint).toMatch(/EC2 status checks only/);
    });

    it('gives full marks on the solved state, with the replacement as evidence', () => {
      const result = run(load(lab.examples.solved).facts);
      expect(result).toMatchObject({ score: 100, maxScore: 100 });
      expect(allPassed(result)).toBe(true);
      expect(check(result, 'self-healed').evidence?.observed).toBe(
        'Terminating EC2 instance: i-0bb2cc3dd4ee5ff03 at 2026-11-27T09:41:12.834Z (Successful); then Launching a new EC2 instance: i-0cc3dd4ee5ff60a05 (Successful); 2 of 2 desired instances healthy and in service',
      );
    });

    it('names the replacement loop and the grace period (trap)', () => {
      const result = run(load(join(FIXTURES, 'grace-loop.json')).facts);
      expect(check(result, 'elb-health-checks').evidence?.observed).toBe(
        'health check type ELB, grace period 0 s; 4 instances replaced for failed ELB health checks within 30 minutes',
      );
      expect(check(result, 'elb-health-checks').hint).toMatch(/grace period is shorter than an instance takes to boot/);
      expect(check(result, 'self-healed').hint).toMatch(/in a loop/);
    });

    it('fails a grace period shorter than a minute without a loop yet, and one above ten minutes', () => {
      const facts = solvedFacts();
      facts.group.value.HealthCheckGracePeriod = 30;
      expect(check(run(facts), 'elb-health-checks')).toMatchObject({ status: 'FAIL', hint: expect.stringMatching(/shorter than boot/) });
      facts.group.value.HealthCheckGracePeriod = 900;
      expect(check(run(facts), 'elb-health-checks')).toMatchObject({ status: 'FAIL', hint: expect.stringMatching(/long grace period/) });
    });

    it('accepts ELB among several health check types', () => {
      const facts = solvedFacts();
      facts.group.value.HealthCheckType = 'ELB,EBS';
      expect(check(run(facts), 'elb-health-checks').status).toBe('PASS');
    });

    it('fails a group in two zones but a minimum of 1, and a maximum above 4', () => {
      const facts = solvedFacts();
      facts.group.value.MinSize = 1;
      expect(check(run(facts), 'multi-az')).toMatchObject({ status: 'FAIL', hint: expect.stringMatching(/minimum of 1/) });
      facts.group.value.MinSize = 2;
      facts.group.value.MaxSize = 10;
      expect(check(run(facts), 'multi-az')).toMatchObject({ status: 'FAIL', hint: expect.stringMatching(/maximum at 4/) });
    });

    it('fails a request-count policy whose ResourceLabel names another target group, showing the expected label', () => {
      const facts = solvedFacts();
      facts.policies.value[0].TargetTrackingConfiguration.PredefinedMetricSpecification.ResourceLabel = 'app/other/1/targetgroup/other/2';
      const c = check(run(facts), 'target-tracking');
      expect(c.status).toBe('FAIL');
      expect(c.hint).toContain(RESOURCE_LABEL);
    });

    it('accepts average CPU, and fails a target outside the sensible range or a disabled policy', () => {
      const facts = solvedFacts();
      facts.policies.value[0].TargetTrackingConfiguration = { PredefinedMetricSpecification: { PredefinedMetricType: 'ASGAverageCPUUtilization' }, TargetValue: 50 };
      expect(check(run(facts), 'target-tracking').status).toBe('PASS');
      facts.policies.value[0].TargetTrackingConfiguration.TargetValue = 99;
      expect(check(run(facts), 'target-tracking')).toMatchObject({ status: 'FAIL', hint: expect.stringMatching(/target the group can reach/) });
      facts.policies.value[0].TargetTrackingConfiguration.TargetValue = 50;
      facts.policies.value[0].Enabled = false;
      expect(check(run(facts), 'target-tracking').status).toBe('FAIL');
    });

    it('fails step scaling, pointing at target tracking', () => {
      const facts = solvedFacts();
      facts.policies.value = [{ PolicyName: 'cpu-high', PolicyType: 'StepScaling', Enabled: true }];
      const c = check(run(facts), 'target-tracking');
      expect(c.evidence?.observed).toBe('policies: cpu-high (StepScaling)');
      expect(c.hint).toMatch(/target tracking policy keeps the metric/);
    });

    it('fails a refresh with MinHealthyPercentage 0 (trap), and says which default an unset value gets', () => {
      const facts = solvedFacts();
      facts.refreshes.value[0].Preferences.MinHealthyPercentage = 0;
      const zero = check(run(facts), 'instance-refresh');
      expect(zero.status).toBe('FAIL');
      expect(zero.hint).toMatch(/MinHealthyPercentage 0 may take every instance out at once/);
      delete facts.refreshes.value[0].Preferences.MinHealthyPercentage;
      const unset = check(run(facts), 'instance-refresh');
      expect(unset.status).toBe('PASS');
      expect(unset.evidence?.observed).toContain("MinHealthyPercentage not set (AWS's default, 90)");
    });

    it('fails a group pinned to an old version while the template moved on (trap)', () => {
      const facts = solvedFacts();
      facts.group.value.LaunchTemplate.Version = '1';
      facts.instances.value = facts.instances.value.map((i: { templateVersion: string }) => ({ ...i, templateVersion: '1' }));
      const c = check(run(facts), 'instance-refresh');
      expect(c.status).toBe('FAIL');
      expect(c.hint).toMatch(/pinned to version 1 while the template is at 2/);
    });

    it('fails a refresh that replaced instances with the same single version', () => {
      const facts = solvedFacts();
      facts.template.value.LatestVersionNumber = 1;
      expect(check(run(facts), 'instance-refresh')).toMatchObject({ status: 'FAIL', hint: expect.stringMatching(/create a new launch template version first/) });
    });

    it('fails a failed refresh with its reason, and ignores refreshes from before the stack', () => {
      const facts = solvedFacts();
      Object.assign(facts.refreshes.value[0], { Status: 'Failed', StatusReason: 'Instance i-0bb2 failed to launch' });
      const c = check(run(facts), 'instance-refresh');
      expect(c.status).toBe('FAIL');
      expect(c.evidence?.observed).toContain('is Failed: Instance i-0bb2 failed to launch');
      facts.refreshes.value[0].Status = 'Successful';
      facts.refreshes.value[0].StartTime = '2026-11-01T00:00:00.000Z';
      expect(check(run(facts), 'instance-refresh').evidence?.observed).toBe('no instance refresh since the lab was deployed');
    });

    it('is pending until the replacement is healthy, and fails a replacement that could not launch', () => {
      const facts = solvedFacts();
      facts.group.value.Instances[1].HealthStatus = 'Unhealthy';
      expect(check(run(facts), 'self-healed').status).toBe('PENDING');
      facts.group.value.Instances[1].HealthStatus = 'Healthy';
      Object.assign(facts.activities.value[0], { StatusCode: 'Failed', StatusMessage: 'The requested configuration is currently not supported.' });
      const c = check(run(facts), 'self-healed');
      expect(c.status).toBe('FAIL');
      expect(c.evidence?.observed).toContain('The requested configuration is currently not supported.');
    });

    it('tells ELB replacements from refresh replacements by their cause', () => {
      expect(isElbReplacement({ Description: 'Terminating EC2 instance: i-1', Cause: 'At 2026-11-27T09:41:12Z an instance was taken out of service in response to an ELB system health check failure.' })).toBe(true);
      expect(isElbReplacement({ Description: 'Terminating EC2 instance: i-1', Cause: 'At 2026-11-27T09:24:30Z an instance was taken out of service in response to an instance refresh.' })).toBe(false);
      expect(isElbReplacement({ Description: 'Terminating EC2 instance: i-1', Cause: 'At 2026-11-27T09:24:30Z an instance was taken out of service in response to an EC2 instance status check failure.' })).toBe(false);
    });

    it('fails every group check with a redeploy hint when the group is gone', () => {
      const facts = solvedFacts();
      facts.group.value = null;
      const result = run(facts);
      for (const id of ['multi-az', 'elb-health-checks', 'instance-refresh', 'self-healed'] as const) {
        expect(check(result, id)).toMatchObject({ status: 'FAIL', evidence: { observed: 'the group does not exist' }, hint: expect.stringMatching(/doplab deploy/) });
      }
    });

    it('rejects malformed facts', () => {
      const facts = solvedFacts();
      facts.group = { ok: true, value: { MinSize: 2 } };
      expect(checker.factsSchema.safeParse(facts).success).toBe(false);
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
      const inputs = <T>(calls: { args: [{ input: T }] }[]) => calls.map((c) => c.args[0].input);
      expect(inputs(s.autoscaling.commandCalls(DescribeAutoScalingGroupsCommand))).toEqual([{ AutoScalingGroupNames: [GROUP] }]);
      expect(inputs(s.autoscaling.commandCalls(DescribePoliciesCommand))).toEqual([{ AutoScalingGroupName: GROUP }]);
      expect(inputs(s.autoscaling.commandCalls(DescribeInstanceRefreshesCommand))).toEqual([{ AutoScalingGroupName: GROUP, MaxRecords: MAX_REFRESHES }]);
      expect(inputs(s.autoscaling.commandCalls(DescribeScalingActivitiesCommand))).toEqual([{ AutoScalingGroupName: GROUP, MaxRecords: MAX_ACTIVITIES }]);
      expect(inputs(s.ec2.commandCalls(DescribeLaunchTemplatesCommand))).toEqual([{ LaunchTemplateIds: [TEMPLATE_ID] }]);
      expect(inputs(s.ec2.commandCalls(DescribeInstancesCommand))).toEqual([
        {
          Filters: [
            { Name: 'tag:aws:autoscaling:groupName', Values: [GROUP] },
            { Name: 'instance-state-name', Values: ['pending', 'running'] },
          ],
        },
      ]);
      expect(s.cloudformation).toHaveReceivedCommandTimes(DescribeStacksCommand, 1);
      expect([...actions].sort()).toEqual(checkerActions(checker));
      expect(actions.every(isReadOnlyAction)).toBe(true);
    });

    it('records a deleted group and template as null, not errors', async () => {
      const world = startingWorld();
      world.group = null;
      world.template = null;
      const { file } = await gather(world);
      expect(file.facts.group).toEqual({ ok: true, value: null });
      expect(file.facts.template).toEqual({ ok: true, value: null });
    });

    it('errors only the checks that need the activities when DescribeScalingActivities is throttled', async () => {
      jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
      try {
        const pending = gather(solvedWorld(), (s) => s.autoscaling.on(DescribeScalingActivitiesCommand).rejects(awsError('Throttling', 'Rate exceeded')));
        let settled = false;
        void pending.finally(() => (settled = true));
        for (let waited = 0; !settled && waited < 120_000; waited += 250) await jest.advanceTimersByTimeAsync(250);
        const { file } = await pending;
        expect(file.facts.activities).toMatchObject({ ok: false, error: { code: 'THROTTLED', action: 'autoscaling:DescribeScalingActivities' } });
        expect(run(file.facts).checks.map((c) => c.status)).toEqual(['PASS', 'PASS', 'PASS', 'PASS', 'ERROR']);
      } finally {
        jest.useRealTimers();
      }
    });
  });

  describe('read-only guard', () => {
    it('refuses UpdateAutoScalingGroup on a checker client before anything is sent', async () => {
      const autoscaling = mockClient(AutoScalingClient);
      try {
        const session = new MockedSession({ region: REGION, credentials: CREDENTIALS }, SDK_MODULES);
        const client = session.readOnlyClient(AutoScalingClient, REGION);
        await expect(client.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: GROUP, MinSize: 0 }))).rejects.toThrow(/Refused autoscaling:UpdateAutoScalingGroup/);
        expect(autoscaling.calls()).toHaveLength(0);
      } finally {
        autoscaling.restore();
      }
    });
  });

  describe('solution', () => {
    let autoscaling: AwsClientStub<AutoScalingClient>;
    let ec2: AwsClientStub<EC2Client>;
    let sleeps: number[];
    let gets: string[];
    const sleep = async (ms: number) => {
      sleeps.push(ms);
    };
    const httpGet = async (url: string) => {
      gets.push(url);
      return 200;
    };
    const solved = solvedWorld();
    const USER_DATA = Buffer.from('#!/bin/bash\nBANNER = "orders v1"\n').toString('base64');

    beforeEach(() => {
      autoscaling = mockClient(AutoScalingClient);
      ec2 = mockClient(EC2Client);
      sleeps = [];
      gets = [];
      const starting = startingWorld().group!;
      autoscaling.on(UpdateAutoScalingGroupCommand).resolves({});
      autoscaling.on(PutScalingPolicyCommand).resolves({ PolicyARN: 'arn:aws:autoscaling:eu-west-1:111122223333:scalingPolicy:x' });
      autoscaling
        .on(DescribeAutoScalingGroupsCommand)
        .resolvesOnce({ AutoScalingGroups: [{ ...starting, DesiredCapacity: 2 }] })
        .resolves({ AutoScalingGroups: [solved.group!] });
      ec2.on(DescribeLaunchTemplateVersionsCommand).resolves({ LaunchTemplateVersions: [{ VersionNumber: 1, LaunchTemplateData: { UserData: USER_DATA } }] });
      ec2.on(CreateLaunchTemplateVersionCommand).resolves({ LaunchTemplateVersion: { VersionNumber: 2 } });
      autoscaling.on(StartInstanceRefreshCommand).resolves({ InstanceRefreshId: solved.refreshes[0].InstanceRefreshId });
      autoscaling
        .on(DescribeInstanceRefreshesCommand)
        .resolvesOnce({ InstanceRefreshes: [{ ...solved.refreshes[0], Status: 'InProgress' }] })
        .resolves({ InstanceRefreshes: solved.refreshes });
      autoscaling
        .on(DescribeScalingActivitiesCommand)
        .resolvesOnce({ Activities: [] })
        .resolves({ Activities: solved.activities.map((a) => ({ ...a, StartTime: new Date(Date.now() + 60_000) })) });
    });

    afterEach(() => {
      autoscaling.restore();
      ec2.restore();
    });

    function context(lines: string[] = []): SolutionContext<typeof Outputs> {
      const session = new AwsSession({ region: REGION, credentials: CREDENTIALS });
      const outputs = Object.fromEntries(Object.entries(Outputs).map(([key, id]) => [key, STACK_OUTPUTS[id]])) as SolutionContext<typeof Outputs>['outputs'];
      return { outputs, region: REGION, account: ACCOUNT, client: (ctor) => session.client(ctor, REGION), log: (line) => lines.push(line) };
    }

    it('spreads the group with ELB checks, adds target tracking, refreshes to a new banner, breaks one instance and waits for its replacement', async () => {
      await solveWith(context(), sleep, httpGet);
      expect(autoscaling).toHaveReceivedCommandWith(UpdateAutoScalingGroupCommand, {
        AutoScalingGroupName: GROUP,
        VPCZoneIdentifier: STACK_OUTPUTS.SubnetIds,
        MinSize: 2,
        MaxSize: 4,
        DesiredCapacity: 2,
        HealthCheckType: 'ELB',
        HealthCheckGracePeriod: 120,
        LaunchTemplate: { LaunchTemplateId: TEMPLATE_ID, Version: '$Latest' },
      });
      expect(autoscaling).toHaveReceivedCommandWith(PutScalingPolicyCommand, {
        PolicyName: SOLUTION_POLICY_NAME,
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingConfiguration: { PredefinedMetricSpecification: { PredefinedMetricType: 'ALBRequestCountPerTarget', ResourceLabel: RESOURCE_LABEL }, TargetValue: 100 },
      });
      const created = ec2.commandCalls(CreateLaunchTemplateVersionCommand)[0].args[0].input;
      expect(created).toMatchObject({ LaunchTemplateId: TEMPLATE_ID, SourceVersion: '$Latest' });
      expect(Buffer.from(created.LaunchTemplateData?.UserData ?? '', 'base64').toString()).toBe(`#!/bin/bash\nBANNER = "${SOLUTION_BANNER}"\n`);
      expect(autoscaling).toHaveReceivedCommandWith(StartInstanceRefreshCommand, { AutoScalingGroupName: GROUP, Preferences: { MinHealthyPercentage: 50, InstanceWarmup: 60 } });
      expect(gets).toEqual([`${STACK_OUTPUTS.LoadBalancerUrl}/break`]);
      expect(sleeps.every((ms) => ms === POLL_MS)).toBe(true);
      expect(sleeps.length).toBeGreaterThanOrEqual(3);
    });

    it('sends only the actions calls.ts declares for it', async () => {
      await solveWith(context(), sleep, httpGet);
      const sent = new Set([
        ...autoscaling.calls().map((c) => `autoscaling:${c.args[0].constructor.name.replace(/Command$/, '')}`),
        ...ec2.calls().map((c) => `ec2:${c.args[0].constructor.name.replace(/Command$/, '')}`),
      ]);
      expect([...sent].sort()).toEqual([...solutionActions].sort());
    });

    it('fails clearly when the refresh fails', async () => {
      autoscaling.on(DescribeInstanceRefreshesCommand).resolves({ InstanceRefreshes: [{ ...solved.refreshes[0], Status: 'Failed', StatusReason: 'launch failed' }] });
      await expect(solveWith(context(), sleep, httpGet)).rejects.toThrow(/ended Failed: launch failed/);
    });
  });
});
