// Checker of the ssm-fleet-compliance lab: SDK only (never aws-cdk-lib), read-only calls.
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  DescribeAssociationCommand,
  DescribeInstanceInformationCommand,
  DescribeInstancePatchStatesCommand,
  DescribePatchGroupsCommand,
  GetPatchBaselineCommand,
  ListAssociationsCommand,
  ListComplianceItemsCommand,
  SSMClient,
  type Target,
} from '@aws-sdk/client-ssm';
import { z } from 'zod';
import { defineChecker, type Check, type Verdict } from '../lib/checker';
import { factSchema, need, readFact, type Fact } from '../lib/facts';
import { allPages } from '../lib/sdk-facts';
import { ASSOCIATION_RATE, BASELINE, FLEET_TAG, LAB_ID, Outputs, PATCH_DOCUMENT, PATCH_GROUP, PATCH_GROUP_TAG_KEYS } from '../labs/ssm-fleet-compliance/contract';

// ---------------------------------------------------------------------------------------------
// Facts
// ---------------------------------------------------------------------------------------------

/** An association aimed at the fleet (by a tag or by a lab instance id), as ListAssociations and DescribeAssociation show it. */
export interface AssociationFacts {
  readonly AssociationId: string;
  readonly AssociationName?: string;
  /** The document it runs. */
  readonly Name?: string;
  readonly Targets?: { Key?: string; Values?: string[] }[];
  readonly ScheduleExpression?: string;
  readonly ComplianceSeverity?: string;
  readonly Parameters?: Record<string, string[]>;
  /** Overview.Status: Pending, Success or Failed. */
  readonly Status?: string;
  readonly LastExecutionDate?: string;
}

/** A compliance item of type Association on one instance (ListComplianceItems). */
export interface ComplianceItemFacts {
  /** The association id. */
  readonly Id?: string;
  readonly Status?: string;
  readonly Severity?: string;
  readonly ExecutionTime?: string;
}

/** The baseline registered for the patch group (GetPatchBaseline). */
export interface BaselineFacts {
  readonly BaselineId: string;
  readonly Name?: string;
  readonly OperatingSystem?: string;
  readonly PatchGroups?: string[];
  readonly Rules: { Filters: { Key?: string; Values?: string[] }[]; ApproveAfterDays?: number; ApproveUntilDate?: string; ComplianceLevel?: string }[];
}

/** One instance's patch state (DescribeInstancePatchStates). */
export interface PatchStateFacts {
  readonly InstanceId?: string;
  readonly PatchGroup?: string;
  readonly BaselineId?: string;
  readonly Operation?: string;
  readonly OperationEndTime?: string;
  readonly MissingCount?: number;
  readonly InstalledCount?: number;
}

export interface SsmFleetComplianceFacts {
  readonly region: string;
  /** When the lab's stack was created: patch states older than this are not the learner's. */
  readonly since?: string;
  readonly instanceIds: readonly string[];
  readonly driftedInstanceId: string;
  /** Associations aimed at the fleet. */
  readonly associations: Fact<AssociationFacts[]>;
  /** PingStatus of each instance that Systems Manager knows (DescribeInstanceInformation). */
  readonly pingStatus: Fact<Record<string, string>>;
  /** Association compliance items of each instance. */
  readonly compliance: Fact<Record<string, ComplianceItemFacts[]>>;
  /** Every patch group registration in the region (DescribePatchGroups). */
  readonly patchGroups: Fact<{ PatchGroup?: string; BaselineId?: string; BaselineName?: string; OperatingSystem?: string }[]>;
  /** The baseline registered for the lab's patch group (in any letter case); null when none is. */
  readonly baseline: Fact<BaselineFacts | null>;
  /** Each instance's tags (DescribeInstances). */
  readonly instanceTags: Fact<Record<string, { Key?: string; Value?: string }[]>>;
  readonly patchStates: Fact<PatchStateFacts[]>;
}

const str = z.string().optional();
const tags = z.array(z.looseObject({ Key: str, Value: str }));
const schema = z.object({
  region: z.string().min(1),
  since: z.iso.datetime().optional(),
  instanceIds: z.array(z.string().min(1)).min(1),
  driftedInstanceId: z.string().min(1),
  associations: factSchema(
    z.array(
      z.looseObject({
        AssociationId: z.string(),
        AssociationName: str,
        Name: str,
        Targets: z.array(z.looseObject({ Key: str, Values: z.array(z.string()).optional() })).optional(),
        ScheduleExpression: str,
        ComplianceSeverity: str,
        Parameters: z.record(z.string(), z.array(z.string())).optional(),
        Status: str,
        LastExecutionDate: str,
      }),
    ),
  ),
  pingStatus: factSchema(z.record(z.string(), z.string())),
  compliance: factSchema(z.record(z.string(), z.array(z.looseObject({ Id: str, Status: str, Severity: str, ExecutionTime: str })))),
  patchGroups: factSchema(z.array(z.looseObject({ PatchGroup: str, BaselineId: str, BaselineName: str, OperatingSystem: str }))),
  baseline: factSchema(
    z
      .looseObject({
        BaselineId: z.string(),
        Name: str,
        OperatingSystem: str,
        PatchGroups: z.array(z.string()).optional(),
        Rules: z.array(
          z.looseObject({
            Filters: z.array(z.looseObject({ Key: str, Values: z.array(z.string()).optional() })),
            ApproveAfterDays: z.number().optional(),
            ApproveUntilDate: str,
            ComplianceLevel: str,
          }),
        ),
      })
      .nullable(),
  ),
  instanceTags: factSchema(z.record(z.string(), tags)),
  patchStates: factSchema(
    z.array(
      z.looseObject({
        InstanceId: str,
        PatchGroup: str,
        BaselineId: str,
        Operation: str,
        OperationEndTime: str,
        MissingCount: z.number().optional(),
        InstalledCount: z.number().optional(),
      }),
    ),
  ),
});
const factsSchema = schema as unknown as z.ZodType<SsmFleetComplianceFacts>;

// ---------------------------------------------------------------------------------------------
// Pure helpers
// ---------------------------------------------------------------------------------------------

const FLEET_TARGET_KEY = `tag:${FLEET_TAG.key}`;
const PATCH_GROUP_TARGET_KEYS = PATCH_GROUP_TAG_KEYS.map((k) => `tag:${k}`);

/** Whether targets aim at the fleet: its tag (any value case, so the checks can name the mistake) or a lab instance id. */
export function aimsAtFleet(targets: readonly Pick<Target, 'Key' | 'Values'>[] | undefined, instanceIds: readonly string[]): boolean {
  return (targets ?? []).some(
    (t) =>
      t.Key === FLEET_TARGET_KEY ||
      (t.Key !== undefined && PATCH_GROUP_TARGET_KEYS.includes(t.Key) && (t.Values ?? []).some((v) => v.toLowerCase() === PATCH_GROUP)) ||
      (t.Key?.toLowerCase() === 'instanceids' && (t.Values ?? []).some((v) => v === '*' || instanceIds.includes(v))),
  );
}

/** The schedules equivalent to every 30 minutes. */
const EVERY_30_MINUTES = [ASSOCIATION_RATE, 'cron(0/30 * * * ? *)', 'cron(*/30 * * * ? *)', 'cron(0,30 * * * ? *)'];

export function isEvery30Minutes(schedule: string | undefined): boolean {
  return EVERY_30_MINUTES.includes((schedule ?? '').replace(/\s+/g, ' ').trim());
}

const describeTargets = (targets: AssociationFacts['Targets']) => (targets ?? []).map((t) => `${t.Key}=${(t.Values ?? []).join('|')}`).join(', ') || 'no targets';
const byTag = (a: AssociationFacts) => (a.Targets ?? []).some((t) => t.Key === FLEET_TARGET_KEY && (t.Values ?? []).includes(FLEET_TAG.value));
const isPatchRun = (a: AssociationFacts) => (a.Name ?? '').endsWith(PATCH_DOCUMENT);
const managesChrony = (a: AssociationFacts) => /chrony/i.test(`${a.Name ?? ''} ${JSON.stringify(a.Parameters ?? {})}`);

/** The configuration association the checks judge: by tag first, then one managing chronyd, then any that is not a patch run. */
function configAssociation(facts: SsmFleetComplianceFacts): AssociationFacts | undefined {
  const config = need(facts.associations).filter((a) => !isPatchRun(a));
  return config.find((a) => byTag(a) && managesChrony(a)) ?? config.find(byTag) ?? config.find(managesChrony) ?? config[0];
}

type Mapping = { PatchGroup?: string; BaselineId?: string; OperatingSystem?: string };

/**
 * The registration the checks judge: for the patch group exactly, then in another letter case; a group may have one
 * baseline per operating system, so the fleet's OS first.
 */
export function labMapping<M extends Mapping>(mappings: readonly M[]): M | undefined {
  const forGroup = [...mappings.filter((m) => m.PatchGroup === PATCH_GROUP), ...mappings.filter((m) => m.PatchGroup !== PATCH_GROUP && m.PatchGroup?.toLowerCase() === PATCH_GROUP)];
  return forGroup.find((m) => m.OperatingSystem === BASELINE.operatingSystem) ?? forGroup[0];
}

const fleetWhere = (facts: SsmFleetComplianceFacts) => `Systems Manager in ${facts.region}, fleet ${FLEET_TAG.key}=${FLEET_TAG.value} (${facts.instanceIds.join(', ')})`;

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

type Facts = SsmFleetComplianceFacts;

const ASSOCIATION_EXPECTED =
  `a State Manager association that keeps chronyd installed, enabled and running, targeting the tag ${FLEET_TAG.key}=${FLEET_TAG.value}, ` +
  `scheduled ${ASSOCIATION_RATE} (or an equivalent cron), with a compliance severity`;

const associationByTag: Check<Facts> = {
  id: 'association-by-tag',
  title: 'A State Manager association keeps chronyd running on every instance tagged as the fleet, every 30 minutes',
  points: 25,
  taskStatement: '2.3',
  hint:
    'Create a State Manager association that runs a command document keeping chronyd installed, enabled and running; target the ' +
    'instances by their fleet tag, schedule it at the shortest interval State Manager allows, and give it a compliance severity.',
  run(facts): Verdict {
    const where = fleetWhere(facts);
    const a = configAssociation(facts);
    if (!a) return { status: 'FAIL', evidence: { observed: 'no association targets the fleet (by its tag or by instance id)', expected: ASSOCIATION_EXPECTED, where } };
    const observed =
      `association ${a.AssociationName ?? a.AssociationId} runs ${a.Name ?? '?'} on ${describeTargets(a.Targets)}, ` +
      `schedule ${a.ScheduleExpression ?? 'none (runs once)'}, compliance severity ${a.ComplianceSeverity ?? 'not set'}`;
    const evidence = { observed, expected: ASSOCIATION_EXPECTED, where: `${where}, association ${a.AssociationId}` };
    if (!byTag(a)) {
      const byIds = (a.Targets ?? []).some((t) => t.Key?.toLowerCase() === 'instanceids');
      return {
        status: 'FAIL',
        evidence,
        hint: byIds
          ? 'An association by instance ids misses every instance launched later (a replacement, a scale-out). Target the fleet tag instead, so membership follows the tag.'
          : `Target the tag key ${FLEET_TAG.key} with the value ${FLEET_TAG.value} exactly: tag values are case-sensitive.`,
      };
    }
    if (!managesChrony(a)) {
      return { status: 'FAIL', evidence, hint: 'The association must keep chronyd installed, enabled and running: its document or its commands say so.' };
    }
    if (!isEvery30Minutes(a.ScheduleExpression)) {
      return {
        status: 'FAIL',
        evidence,
        hint: 'Without a schedule an association applies once; drift comes back. Schedule it at the shortest interval State Manager allows for a rate expression.',
      };
    }
    if (!a.ComplianceSeverity || a.ComplianceSeverity === 'UNSPECIFIED') {
      return { status: 'FAIL', evidence, hint: 'Set a compliance severity on the association, so its compliance reports say how much a drift matters.' };
    }
    return { status: 'PASS', evidence };
  },
};

const associationApplied: Check<Facts> = {
  id: 'association-applied',
  title: 'The association ran successfully on both instances, and the drifted one is compliant again',
  points: 20,
  taskStatement: '5.2',
  dependsOn: ['association-by-tag'],
  hint: 'Once the association is created it runs on every targeted instance; read its execution history and the instances\' compliance (type Association) in Systems Manager.',
  run(facts): Verdict {
    const a = configAssociation(facts)!;
    const compliance = need(facts.compliance);
    const ping = need(facts.pingStatus);
    const expected = `association ${a.AssociationId} COMPLIANT on ${facts.instanceIds.join(' and ')}`;
    const where = `${fleetWhere(facts)}, compliance type Association`;
    const judged = facts.instanceIds.map((id) => {
      const item = (compliance[id] ?? []).find((i) => i.Id === a.AssociationId);
      const label = id === facts.driftedInstanceId ? `${id} (drifted)` : id;
      if (item?.Status === 'COMPLIANT') return { status: 'PASS' as const, observed: `${label}: COMPLIANT at ${item.ExecutionTime ?? '?'}` };
      if (item?.Status === 'NON_COMPLIANT') return { status: 'FAIL' as const, observed: `${label}: NON_COMPLIANT at ${item.ExecutionTime ?? '?'}` };
      if (ping[id] !== 'Online') return { status: 'PENDING' as const, observed: `${label}: not Online in Systems Manager yet (${ping[id] ?? 'not registered'})` };
      return { status: 'PENDING' as const, observed: `${label}: the association has not reported on it yet (association status ${a.Status ?? 'unknown'})` };
    });
    const observed = judged.map((j) => j.observed).join('; ');
    if (judged.some((j) => j.status === 'FAIL')) {
      return {
        status: 'FAIL',
        evidence: { observed, expected, where },
        hint: 'The association ran and failed: read the command output of its last execution on that instance, fix the commands, and apply the association again.',
      };
    }
    if (judged.some((j) => j.status === 'PENDING')) return { status: 'PENDING', evidence: { observed, expected: `waiting for: ${expected}`, where } };
    return { status: 'PASS', evidence: { observed, expected, where } };
  },
};

const BASELINE_EXPECTED =
  `a custom patch baseline for ${BASELINE.operatingSystem} registered for patch group ${PATCH_GROUP}, with an approval rule ` +
  `for classification ${BASELINE.classification}, severities ${BASELINE.severities.join(' and ')}, approved after ${BASELINE.approveAfterDays} days`;

const filterValues = (rule: BaselineFacts['Rules'][number], key: string) => rule.Filters.find((f) => f.Key === key)?.Values ?? [];
const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && b.every((x) => a.includes(x));

const baselineRules: Check<Facts> = {
  id: 'baseline-rules',
  title: `A custom baseline for Amazon Linux 2023 approves Critical and Important security updates after ${BASELINE.approveAfterDays} days`,
  points: 20,
  taskStatement: '2.3',
  hint:
    'Create a custom patch baseline for the fleet\'s operating system with one approval rule: security updates of the two highest ' +
    'severities, approved automatically after a week; register it for the patch group.',
  run(facts): Verdict {
    const baseline = need(facts.baseline);
    const where = `Patch Manager in ${facts.region}`;
    if (!baseline) {
      return {
        status: 'FAIL',
        evidence: { observed: `no patch baseline is registered for patch group ${PATCH_GROUP}`, expected: BASELINE_EXPECTED, where },
        hint: 'A baseline applies to a patch group once it is registered for it (RegisterPatchBaselineForPatchGroup, from the CLI or an SDK: the console no longer offers patch groups in newer accounts).',
      };
    }
    const rules = baseline.Rules.map(
      (r) => `${r.Filters.map((f) => `${f.Key}=${(f.Values ?? []).join('|')}`).join(' ')} after ${r.ApproveAfterDays ?? (r.ApproveUntilDate ? `until ${r.ApproveUntilDate}` : '?')} days`,
    );
    const observed = `baseline ${baseline.Name ?? baseline.BaselineId} for ${baseline.OperatingSystem ?? '?'}; rules: ${rules.join('; ') || 'none'}`;
    const evidence = { observed, expected: BASELINE_EXPECTED, where: `${where}, baseline ${baseline.BaselineId}` };
    if (baseline.OperatingSystem !== BASELINE.operatingSystem) {
      return {
        status: 'FAIL',
        evidence,
        hint: 'A baseline applies only to instances of its operating system: Patch Manager tells Amazon Linux 2 and Amazon Linux 2023 apart. Create it for the fleet\'s OS (it cannot be changed afterwards).',
      };
    }
    const good = baseline.Rules.find(
      (r) =>
        sameSet(filterValues(r, 'CLASSIFICATION'), [BASELINE.classification]) &&
        sameSet(filterValues(r, 'SEVERITY'), BASELINE.severities) &&
        r.ApproveAfterDays === BASELINE.approveAfterDays,
    );
    if (!good) {
      return {
        status: 'FAIL',
        evidence,
        hint: 'The approval rule filters on classification and on severity (Amazon Linux names them Security; Critical, Important, Medium, Low), and approves after a number of days.',
      };
    }
    return { status: 'PASS', evidence };
  },
};

const patchGroup: Check<Facts> = {
  id: 'patch-group',
  title: `The baseline is registered for patch group ${PATCH_GROUP}, and both instances are in it`,
  points: 15,
  taskStatement: '2.3',
  hint: `Register the baseline for the patch group ${PATCH_GROUP}, and put each instance in it with a tag (Patch Manager reads the key ${PATCH_GROUP_TAG_KEYS.join(' or ')}).`,
  run(facts): Verdict {
    const mappings = need(facts.patchGroups);
    const tagsOf = need(facts.instanceTags);
    const expected = `patch group ${PATCH_GROUP} mapped to a custom baseline; tag ${PATCH_GROUP_TAG_KEYS.join(' or ')}=${PATCH_GROUP} on ${facts.instanceIds.join(' and ')}`;
    const where = `Patch Manager and EC2 in ${facts.region}`;
    const exact = labMapping(mappings.filter((m) => m.PatchGroup === PATCH_GROUP));
    const other = mappings.filter((m) => m.PatchGroup !== PATCH_GROUP && m.PatchGroup?.toLowerCase() === PATCH_GROUP);
    const tagLines = facts.instanceIds.map((id) => {
      const found = (tagsOf[id] ?? []).filter((t) => /^patch[\s_-]?group$/i.test(t.Key ?? ''));
      return { id, ok: found.some((t) => (PATCH_GROUP_TAG_KEYS as readonly string[]).includes(t.Key ?? '') && t.Value === PATCH_GROUP), found };
    });
    const observed =
      `registration: ${exact ? `${PATCH_GROUP} → ${exact.BaselineName ?? exact.BaselineId}` : other.length ? other.map((m) => `${m.PatchGroup} → ${m.BaselineName ?? m.BaselineId}`).join(', ') : `none for ${PATCH_GROUP}`}; ` +
      tagLines.map((l) => `${l.id}: ${l.found.map((t) => `${t.Key}=${t.Value}`).join(', ') || 'no patch-group tag'}`).join('; ');
    const evidence = { observed, expected, where };
    const caseSlip = 'Patch groups are matched exactly, letter case included: the tag key must be PatchGroup or Patch Group, and the value must equal the registered group.';
    if (!exact) return { status: 'FAIL', evidence, hint: other.length ? caseSlip : undefined } as Verdict;
    if (exact.BaselineId?.startsWith('arn:')) {
      return { status: 'FAIL', evidence, hint: `The patch group is mapped to an AWS-owned baseline; register your custom baseline for ${PATCH_GROUP} instead.` };
    }
    if (tagLines.some((l) => !l.ok)) {
      return { status: 'FAIL', evidence, hint: tagLines.some((l) => l.found.length > 0) ? caseSlip : undefined } as Verdict;
    }
    return { status: 'PASS', evidence };
  },
};

const patchComplianceReported: Check<Facts> = {
  id: 'patch-compliance-reported',
  title: 'A patch scan reported compliance for both instances',
  points: 20,
  taskStatement: '2.3',
  hint: `Run ${PATCH_DOCUMENT} with Operation Scan on the fleet, from an association or a maintenance window, so each instance reports its patch state.`,
  run(facts): Verdict {
    const states = need(facts.patchStates);
    const ping = need(facts.pingStatus);
    const since = facts.since ? Date.parse(facts.since) : 0;
    const scanScheduled = need(facts.associations).some((a) => isPatchRun(a));
    const expected = `a patch state for ${facts.instanceIds.join(' and ')} from a scan after ${facts.since ?? 'the lab deployed'}`;
    const where = `Patch Manager in ${facts.region}`;
    const judged = facts.instanceIds.map((id) => {
      const s = states.find((x) => x.InstanceId === id);
      if (s && Date.parse(s.OperationEndTime ?? '') >= since) {
        return { ok: true, observed: `${id}: ${s.Operation ?? '?'} at ${s.OperationEndTime}, patch group ${s.PatchGroup || 'none'}, baseline ${s.BaselineId ?? '?'}, ${s.MissingCount ?? 0} missing` };
      }
      const why = ping[id] !== 'Online' ? `not Online in Systems Manager yet (${ping[id] ?? 'not registered'})` : s ? `last report ${s.OperationEndTime} is older than the lab` : 'no patch state reported';
      return { ok: false, observed: `${id}: ${why}` };
    });
    const observed = judged.map((j) => j.observed).join('; ');
    if (judged.every((j) => j.ok)) return { status: 'PASS', evidence: { observed, expected, where } };
    if (scanScheduled || facts.instanceIds.some((id) => ping[id] !== 'Online')) {
      return { status: 'PENDING', evidence: { observed, expected: `waiting for: ${expected}`, where } };
    }
    return {
      status: 'FAIL',
      evidence: { observed, expected, where },
      hint:
        `No scan association of ${PATCH_DOCUMENT} targets the fleet. Create one (Operation Scan), or run it from a maintenance ` +
        'window: this check passes once the window\'s run reports.',
    };
  },
};

// ---------------------------------------------------------------------------------------------
// Gather
// ---------------------------------------------------------------------------------------------

/** The most associations gather describes (one DescribeAssociation each). */
export const MAX_ASSOCIATIONS_DESCRIBED = 10;

export const checker = defineChecker({
  labId: LAB_ID,
  outputs: Outputs,
  actions: [
    'ec2:DescribeInstances',
    'ssm:DescribeAssociation',
    'ssm:DescribeInstanceInformation',
    'ssm:DescribeInstancePatchStates',
    'ssm:DescribePatchGroups',
    'ssm:GetPatchBaseline',
    'ssm:ListAssociations',
    'ssm:ListComplianceItems',
  ],
  factsSchema,
  async gather({ outputs, region, stackCreatedAt, client }): Promise<SsmFleetComplianceFacts> {
    const ssm = client(SSMClient);
    const ec2 = client(EC2Client);
    const instanceIds = outputs.instanceIds.split(',').filter((i) => i !== '');

    const associationsRead = readFact(async (): Promise<AssociationFacts[]> => {
      const listed = await allPages(async (NextToken) => {
        const page = await ssm.send(new ListAssociationsCommand({ NextToken }));
        return { items: page.Associations, next: page.NextToken };
      });
      const aimed = listed.filter((a) => a.AssociationId && (aimsAtFleet(a.Targets, instanceIds) || (a.InstanceId && instanceIds.includes(a.InstanceId))));
      return Promise.all(
        aimed.slice(0, MAX_ASSOCIATIONS_DESCRIBED).map(async (a) => {
          const d = (await ssm.send(new DescribeAssociationCommand({ AssociationId: a.AssociationId }))).AssociationDescription ?? {};
          return {
            AssociationId: a.AssociationId!,
            AssociationName: d.AssociationName ?? a.AssociationName,
            Name: d.Name ?? a.Name,
            Targets: (d.Targets ?? a.Targets ?? (a.InstanceId ? [{ Key: 'InstanceIds', Values: [a.InstanceId] }] : [])).map((t) => ({ Key: t.Key, Values: t.Values })),
            ScheduleExpression: d.ScheduleExpression ?? a.ScheduleExpression,
            ComplianceSeverity: d.ComplianceSeverity,
            Parameters: d.Parameters,
            Status: d.Overview?.Status ?? a.Overview?.Status,
            LastExecutionDate: (d.LastExecutionDate ?? a.LastExecutionDate)?.toISOString(),
          };
        }),
      );
    });
    const pingRead = readFact(async () => {
      const infos = await allPages(async (NextToken) => {
        const page = await ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: instanceIds }], NextToken }));
        return { items: page.InstanceInformationList, next: page.NextToken };
      });
      return Object.fromEntries(infos.map((i) => [i.InstanceId ?? '', i.PingStatus ?? '']));
    });
    const complianceRead = readFact(async () => {
      // ListComplianceItems takes one resource id at a time.
      const perInstance = await Promise.all(
        instanceIds.map(async (id) => {
          const items = await allPages(async (NextToken) => {
            const page = await ssm.send(
              new ListComplianceItemsCommand({
                ResourceIds: [id],
                ResourceTypes: ['ManagedInstance'],
                Filters: [{ Key: 'ComplianceType', Values: ['Association'], Type: 'EQUAL' }],
                NextToken,
              }),
            );
            return { items: page.ComplianceItems, next: page.NextToken };
          });
          return [id, items.map((i) => ({ Id: i.Id, Status: i.Status, Severity: i.Severity, ExecutionTime: i.ExecutionSummary?.ExecutionTime?.toISOString() }))] as const;
        }),
      );
      return Object.fromEntries(perInstance);
    });
    const patchGroupsRead = readFact(async () => {
      const mappings = await allPages(async (NextToken) => {
        const page = await ssm.send(new DescribePatchGroupsCommand({ NextToken }));
        return { items: page.Mappings, next: page.NextToken };
      });
      return mappings.map((m) => ({
        PatchGroup: m.PatchGroup,
        BaselineId: m.BaselineIdentity?.BaselineId,
        BaselineName: m.BaselineIdentity?.BaselineName,
        OperatingSystem: m.BaselineIdentity?.OperatingSystem,
      }));
    });
    const baselineRead = patchGroupsRead.then((groups) =>
      readFact(async (): Promise<BaselineFacts | null> => {
        const all = need(groups);
        const mapping = labMapping(all);
        if (!mapping?.BaselineId) return null;
        const b = await ssm.send(new GetPatchBaselineCommand({ BaselineId: mapping.BaselineId }));
        return {
          BaselineId: b.BaselineId ?? mapping.BaselineId,
          Name: b.Name,
          OperatingSystem: b.OperatingSystem,
          PatchGroups: b.PatchGroups,
          Rules: (b.ApprovalRules?.PatchRules ?? []).map((r) => ({
            Filters: (r.PatchFilterGroup?.PatchFilters ?? []).map((f) => ({ Key: f.Key, Values: f.Values })),
            ApproveAfterDays: r.ApproveAfterDays,
            ApproveUntilDate: r.ApproveUntilDate,
            ComplianceLevel: r.ComplianceLevel,
          })),
        };
      }),
    );
    const tagsRead = readFact(async () => {
      const reservations = await allPages(async (NextToken) => {
        const page = await ec2.send(new DescribeInstancesCommand({ InstanceIds: instanceIds, NextToken }));
        return { items: page.Reservations, next: page.NextToken };
      });
      const instances = reservations.flatMap((r) => r.Instances ?? []);
      return Object.fromEntries(instances.map((i) => [i.InstanceId ?? '', (i.Tags ?? []).map((t) => ({ Key: t.Key, Value: t.Value }))]));
    });
    const patchStatesRead = readFact(async () => {
      const states = await allPages(async (NextToken) => {
        const page = await ssm.send(new DescribeInstancePatchStatesCommand({ InstanceIds: instanceIds, NextToken }));
        return { items: page.InstancePatchStates, next: page.NextToken };
      });
      return states.map((s) => ({
        InstanceId: s.InstanceId,
        PatchGroup: s.PatchGroup,
        BaselineId: s.BaselineId,
        Operation: s.Operation,
        OperationEndTime: s.OperationEndTime?.toISOString(),
        MissingCount: s.MissingCount,
        InstalledCount: s.InstalledCount,
      }));
    });

    const [associations, pingStatus, compliance, patchGroups, baseline, instanceTags, patchStates] = await Promise.all([
      associationsRead,
      pingRead,
      complianceRead,
      patchGroupsRead,
      baselineRead,
      tagsRead,
      patchStatesRead,
    ]);
    return {
      region,
      ...(stackCreatedAt ? { since: new Date(stackCreatedAt).toISOString() } : {}),
      instanceIds,
      driftedInstanceId: outputs.driftedInstanceId,
      associations,
      pingStatus,
      compliance,
      patchGroups,
      baseline,
      instanceTags,
      patchStates,
    };
  },
  checks: [associationByTag, associationApplied, baselineRules, patchGroup, patchComplianceReported],
});
