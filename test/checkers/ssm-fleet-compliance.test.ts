import { DescribeInstancePatchStatesCommand, GetPatchBaselineCommand, ListComplianceItemsCommand, CreateAssociationCommand, CreatePatchBaselineCommand, DescribePatchBaselinesCommand, ListAssociationsCommand, RegisterPatchBaselineForPatchGroupCommand, SSMClient, UpdateAssociationCommand } from '@aws-sdk/client-ssm';
import { CreateTagsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { checker, isEvery30Minutes } from '../../checkers/ssm-fleet-compliance';
import { AwsSession } from '../../lib/aws/clients';
import type { LabResult } from '../../lib/checker';
import { checkerActions } from '../../lib/engine';
import { loadFactsFile } from '../../lib/facts-file';
import type { SolutionContext } from '../../lib/lab';
import { solutionActions } from '../../labs/ssm-fleet-compliance/calls';
import type { Outputs } from '../../labs/ssm-fleet-compliance/contract';
import { CHRONY_ASSOCIATION, SCAN_ASSOCIATION, solve } from '../../labs/ssm-fleet-compliance/solution';
import { ACCOUNT, BASELINE_ID, CHRONY_ID, INSTANCES, REGION, SCAN_ID, SOLVED_BASELINE, STACK_OUTPUTS, association, solvedWorld, startingWorld, type AwsWorld } from '../fixtures/ssm-fleet-compliance/aws-world';
import { CREDENTIALS, FACTS_FILES, freshFactsFile, gatherWorld } from '../fixtures/ssm-fleet-compliance/gather-world';
import { awsError } from '../support/mocked-session';
import { checkFinder, factsRunner, itDeclaresChecks } from '../support/checker-tests';

const CHECK_IDS = ['association-by-tag', 'association-applied', 'baseline-rules', 'patch-group', 'patch-compliance-reported'];

const run = factsRunner(checker, ACCOUNT, REGION);
const check = checkFinder(CHECK_IDS);

async function judge(world: AwsWorld, fault?: Parameters<typeof gatherWorld>[1]): Promise<LabResult> {
  const { stubs, file } = await gatherWorld(world, fault);
  stubs.restore();
  return run(file.facts);
}
function solvedWith(edit: (world: AwsWorld) => void): AwsWorld {
  const world = solvedWorld();
  edit(world);
  return world;
}

describe('ssm-fleet-compliance checker', () => {
  itDeclaresChecks(checker, ['2.3', '5.2'], CHECK_IDS, [
    'cloudformation:DescribeStacks',
    'ec2:DescribeInstances',
    'ssm:DescribeAssociation',
    'ssm:DescribeInstanceInformation',
    'ssm:DescribeInstancePatchStates',
    'ssm:DescribePatchGroups',
    'ssm:GetPatchBaseline',
    'ssm:ListAssociations',
    'ssm:ListComplianceItems',
  ]);

  it('gives every check a hint', () => {
    for (const c of checker.checks) expect(c.hint.length).toBeGreaterThan(20);
  });

  describe('shipped example facts', () => {
    it.each(Object.keys(FACTS_FILES))('%s is what gather records from its world (regenerate with test/support/write-facts.ts)', async (name) => {
      const shipped = loadFactsFile(FACTS_FILES[name].path, checker.labId, checker.factsSchema);
      expect(JSON.parse(JSON.stringify(await freshFactsFile(name)))).toEqual(JSON.parse(JSON.stringify(shipped)));
    });

    it('score 0 on the starting state, with hints', () => {
      const result = run(loadFactsFile(FACTS_FILES.starting.path, checker.labId, checker.factsSchema).facts);
      expect(result.score).toBe(0);
      expect(result.checks.map((c) => c.status)).toEqual(['FAIL', 'SKIPPED', 'FAIL', 'FAIL', 'FAIL']);
      for (const c of result.checks.filter((x) => x.status === 'FAIL')) expect(c.hint).toBeTruthy();
    });

    it('give full marks on the solved state', () => {
      const result = run(loadFactsFile(FACTS_FILES.solved.path, checker.labId, checker.factsSchema).facts);
      expect(result.checks.map((c) => c.status)).toEqual(CHECK_IDS.map(() => 'PASS'));
      expect(result.score).toBe(100);
    });
  });

  describe('traps and partial states', () => {
    it('fails an association by instance ids, hinting that new instances would be missed', async () => {
      const result = await judge(solvedWith((w) => (w.associations[0] = association(CHRONY_ID, { ...CHRONY_ASSOCIATION, Targets: [{ Key: 'InstanceIds', Values: INSTANCES }] }))));
      expect(check(result, 'association-by-tag')).toMatchObject({ status: 'FAIL', hint: expect.stringMatching(/instance ids misses every instance launched later/) });
      expect(check(result, 'association-applied').status).toBe('SKIPPED');
    });

    it('fails an association without schedule or without severity', async () => {
      for (const edit of [{ ScheduleExpression: 'rate(1 day)' }, { ComplianceSeverity: 'UNSPECIFIED' as const }]) {
        const result = await judge(solvedWith((w) => (w.associations[0] = association(CHRONY_ID, { ...CHRONY_ASSOCIATION, ...edit }))));
        expect(check(result, 'association-by-tag').status).toBe('FAIL');
      }
    });

    it('accepts an equivalent cron and nothing slower', () => {
      expect(isEvery30Minutes('cron(0/30 * * * ? *)')).toBe(true);
      expect(isEvery30Minutes('rate(30 minutes)')).toBe(true);
      expect(isEvery30Minutes('rate(1 hour)')).toBe(false);
    });

    it('is PENDING until the association reports, and FAILS when it ran NON_COMPLIANT on the drifted instance', async () => {
      const pending = await judge(solvedWith((w) => (w.compliance = {})));
      expect(check(pending, 'association-applied').status).toBe('PENDING');
      const failed = await judge(solvedWith((w) => (w.compliance[INSTANCES[0]] = [{ Id: CHRONY_ID, Status: 'NON_COMPLIANT' }])));
      expect(check(failed, 'association-applied')).toMatchObject({ status: 'FAIL', evidence: { observed: expect.stringContaining(`${INSTANCES[0]} (drifted): NON_COMPLIANT`) } });
    });

    it('fails a baseline for the wrong operating system, naming the OS', async () => {
      const result = await judge(solvedWith((w) => (w.baselines[BASELINE_ID] = { ...SOLVED_BASELINE, OperatingSystem: 'AMAZON_LINUX_2' })));
      expect(check(result, 'baseline-rules')).toMatchObject({ status: 'FAIL', hint: expect.stringMatching(/Amazon Linux 2 and Amazon Linux 2023/) });
    });

    it('judges the Amazon Linux 2023 baseline when the patch group has one per operating system', async () => {
      const world = solvedWith((w) => {
        w.patchGroups.unshift({ PatchGroup: 'orders', BaselineId: 'pb-0a12', BaselineName: 'al2', OperatingSystem: 'AMAZON_LINUX_2' });
        w.baselines['pb-0a12'] = { ...SOLVED_BASELINE, BaselineId: 'pb-0a12', OperatingSystem: 'AMAZON_LINUX_2' };
      });
      const result = await judge(world);
      expect(check(result, 'baseline-rules')).toMatchObject({ status: 'PASS', evidence: { where: expect.stringContaining(BASELINE_ID) } });
      expect(check(result, 'patch-group').status).toBe('PASS');
    });

    it('fails approval rules with other severities or days', async () => {
      const rule = SOLVED_BASELINE.ApprovalRules!.PatchRules![0];
      const result = await judge(
        solvedWith((w) => (w.baselines[BASELINE_ID] = { ...SOLVED_BASELINE, ApprovalRules: { PatchRules: [{ ...rule, ApproveAfterDays: 0 }] } })),
      );
      expect(check(result, 'baseline-rules').status).toBe('FAIL');
    });

    it('fails the patch-group tag or registration with a different case, hinting at exact matching', async () => {
      const tagged = await judge(solvedWith((w) => (w.tags[INSTANCES[1]] = w.tags[INSTANCES[1]].map((t) => (t.Key === 'PatchGroup' ? { Key: 'PatchGroup', Value: 'Orders' } : t)))));
      expect(check(tagged, 'patch-group')).toMatchObject({ status: 'FAIL', hint: expect.stringMatching(/letter case/) });
      const registered = await judge(solvedWith((w) => (w.patchGroups[0].PatchGroup = 'Orders')));
      expect(check(registered, 'patch-group')).toMatchObject({ status: 'FAIL', hint: expect.stringMatching(/letter case/) });
      expect(check(registered, 'baseline-rules').status).toBe('PASS');
    });

    it('is PENDING while a scan association has not reported, FAIL with no scan at all, ignoring reports older than the lab', async () => {
      const waiting = await judge(solvedWith((w) => (w.patchStates = [])));
      expect(check(waiting, 'patch-compliance-reported').status).toBe('PENDING');
      const none = await judge(solvedWith((w) => ((w.patchStates = []), (w.associations = w.associations.filter((a) => a.AssociationId !== SCAN_ID)))));
      expect(check(none, 'patch-compliance-reported')).toMatchObject({ status: 'FAIL', hint: expect.stringMatching(/maintenance window/) });
      const old = await judge(solvedWith((w) => ((w.patchStates[0].OperationEndTime = new Date('2026-11-20T00:00:00Z')), (w.associations = w.associations.slice(0, 1)))));
      expect(check(old, 'patch-compliance-reported')).toMatchObject({ status: 'FAIL', evidence: { observed: expect.stringContaining('older than the lab') } });
    });

    it('is PENDING while an instance is not Online in Systems Manager', async () => {
      const result = await judge(solvedWith((w) => ((w.ping[INSTANCES[1]] = 'ConnectionLost'), (w.compliance[INSTANCES[1]] = []), (w.patchStates = w.patchStates.slice(0, 1)))));
      expect(check(result, 'association-applied').status).toBe('PENDING');
      expect(check(result, 'patch-compliance-reported').status).toBe('PENDING');
    });
  });

  describe('AWS errors', () => {
    it('errors only the checks that need a failed read', async () => {
      const result = await judge(solvedWorld(), (s) => s.ssm.on(GetPatchBaselineCommand).rejects(awsError('AccessDeniedException', 'not authorized to perform: ssm:GetPatchBaseline')));
      expect(result.checks.map((c) => c.status)).toEqual(['PASS', 'PASS', 'ERROR', 'PASS', 'PASS']);
      const throttled = await judge(solvedWorld(), (s) => s.ssm.on(ListComplianceItemsCommand).rejects(awsError('ThrottlingException', 'Rate exceeded')));
      expect(check(throttled, 'association-applied').status).toBe('ERROR');
      expect(check(throttled, 'patch-group').status).toBe('PASS');
      const states = await judge(solvedWorld(), (s) => s.ssm.on(DescribeInstancePatchStatesCommand).rejects(awsError('AccessDeniedException', 'denied')));
      expect(check(states, 'patch-compliance-reported').status).toBe('ERROR');
    });
  });

  describe('gather', () => {
    it('sends exactly the declared read-only calls', async () => {
      const actions: string[] = [];
      const { stubs } = await gatherWorld(solvedWorld(), undefined, (action) => actions.push(action));
      const inputs = (command: Parameters<typeof stubs.ssm.commandCalls>[0]) => stubs.ssm.commandCalls(command).map((c) => c.args[0].input);
      expect(inputs(ListComplianceItemsCommand)).toEqual(
        INSTANCES.map((id) => ({ ResourceIds: [id], ResourceTypes: ['ManagedInstance'], Filters: [{ Key: 'ComplianceType', Values: ['Association'], Type: 'EQUAL' }] })),
      );
      expect(inputs(DescribeInstancePatchStatesCommand)).toEqual([{ InstanceIds: INSTANCES }]);
      expect(inputs(GetPatchBaselineCommand)).toEqual([{ BaselineId: BASELINE_ID }]);
      expect(stubs.ec2.calls().map((c) => (c.args[0] as { input: unknown }).input)).toEqual([{ InstanceIds: INSTANCES }]);
      stubs.restore();
      expect([...new Set(actions)].sort()).toEqual(checkerActions(checker));
      expect(actions.filter((a) => a === 'ssm:ListComplianceItems')).toHaveLength(INSTANCES.length);
      expect(actions.filter((a) => a === 'ssm:DescribeAssociation')).toHaveLength(2);
    });
  });

  describe('solution', () => {
    let ssm: AwsClientStub<SSMClient>;
    let ec2: AwsClientStub<EC2Client>;
    beforeEach(() => {
      ssm = mockClient(SSMClient);
      ec2 = mockClient(EC2Client);
      ssm.on(ListAssociationsCommand).resolves({ Associations: [] });
      ssm.on(CreateAssociationCommand).resolves({});
      ssm.on(DescribePatchBaselinesCommand).resolves({ BaselineIdentities: [] });
      ssm.on(CreatePatchBaselineCommand).resolves({ BaselineId: BASELINE_ID });
      ssm.on(RegisterPatchBaselineForPatchGroupCommand).resolves({ BaselineId: BASELINE_ID, PatchGroup: 'orders' });
      ec2.on(CreateTagsCommand).resolves({});
    });
    afterEach(() => [ssm, ec2].forEach((m) => m.restore()));
    const context = (): SolutionContext<typeof Outputs> => {
      const session = new AwsSession({ region: REGION, credentials: CREDENTIALS });
      return { outputs: { instanceIds: STACK_OUTPUTS.InstanceIds, driftedInstanceId: STACK_OUTPUTS.DriftedInstanceId }, region: REGION, account: ACCOUNT, client: (ctor) => session.client(ctor, REGION), log: () => undefined };
    };

    it('sends only the actions calls.ts declares, and leaves a state the checks pass once AWS reports', async () => {
      await solve(context());
      const sent = [...ssm.calls(), ...ec2.calls()].map((c) => (c.args[0] as object).constructor.name.replace(/Command$/, ''));
      for (const name of sent) expect(solutionActions.map((a) => a.split(':')[1])).toContain(name);
      const [chrony, scan] = ssm.commandCalls(CreateAssociationCommand).map((c) => c.args[0].input);
      const baseline = ssm.commandCalls(CreatePatchBaselineCommand)[0].args[0].input;
      const tags = ec2.commandCalls(CreateTagsCommand)[0].args[0].input;
      const world = solvedWorld();
      world.associations = [association(CHRONY_ID, chrony), association(SCAN_ID, scan)];
      world.baselines[BASELINE_ID] = { ...SOLVED_BASELINE, OperatingSystem: baseline.OperatingSystem, ApprovalRules: baseline.ApprovalRules };
      world.tags = Object.fromEntries(INSTANCES.map((i) => [i, [...startingWorld().tags[i], ...(tags.Resources?.includes(i) ? tags.Tags!.map((t) => ({ Key: t.Key!, Value: t.Value! })) : [])]]));
      world.patchGroups[0].PatchGroup = ssm.commandCalls(RegisterPatchBaselineForPatchGroupCommand)[0].args[0].input.PatchGroup!;
      expect((await judge(world)).checks.filter((c) => c.status !== 'PASS')).toEqual([]);
    });

    it('is idempotent: updates its associations and reuses its baseline on a second run', async () => {
      ssm.on(ListAssociationsCommand, { AssociationFilterList: [{ key: 'AssociationName', value: CHRONY_ASSOCIATION.AssociationName }] }).resolves({ Associations: [{ AssociationId: CHRONY_ID }] });
      ssm.on(ListAssociationsCommand, { AssociationFilterList: [{ key: 'AssociationName', value: SCAN_ASSOCIATION.AssociationName }] }).resolves({ Associations: [{ AssociationId: SCAN_ID }] });
      ssm.on(UpdateAssociationCommand).resolves({});
      ssm.on(DescribePatchBaselinesCommand).resolves({ BaselineIdentities: [{ BaselineId: BASELINE_ID, BaselineName: 'DopLab-ssm-fleet-compliance-al2023-security' }] });
      ssm.on(RegisterPatchBaselineForPatchGroupCommand).rejects(awsError('AlreadyExistsException', 'Patch Group baseline already has a baseline registered for OperatingSystem AMAZON_LINUX_2023.'));
      await solve(context());
      expect(ssm.commandCalls(CreateAssociationCommand)).toHaveLength(0);
      expect(ssm.commandCalls(CreatePatchBaselineCommand)).toHaveLength(0);
      expect(ssm.commandCalls(UpdateAssociationCommand).map((c) => c.args[0].input.AssociationId)).toEqual([CHRONY_ID, SCAN_ID]);
    });
  });
});
