// Reference solution of the ssm-fleet-compliance lab, through the SDK: a chronyd association by tag, a custom
// Amazon Linux 2023 baseline registered for the patch group, the patch-group tags, and a scan association.
import { CreateTagsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  CreateAssociationCommand,
  CreatePatchBaselineCommand,
  DescribePatchBaselinesCommand,
  ListAssociationsCommand,
  RegisterPatchBaselineForPatchGroupCommand,
  SSMClient,
  UpdateAssociationCommand,
  type CreateAssociationCommandInput,
} from '@aws-sdk/client-ssm';
import { awsErrorName } from '../../lib/aws/errors';
import { LAB_TAG_KEY } from '../../lib/contract';
import type { Solution, SolutionContext } from '../../lib/lab';
import { ASSOCIATION_RATE, BASELINE, FLEET_TAG, LAB_ID, Outputs, PATCH_DOCUMENT, PATCH_GROUP, PATCH_GROUP_TAG_KEYS } from './contract';

export const SOLUTION_CHRONY_ASSOCIATION = `DopLab-${LAB_ID}-chronyd`;
export const SOLUTION_SCAN_ASSOCIATION = `DopLab-${LAB_ID}-patch-scan`;
export const SOLUTION_BASELINE_NAME = `DopLab-${LAB_ID}-al2023-security`;

const fleetTarget = [{ Key: `tag:${FLEET_TAG.key}`, Values: [FLEET_TAG.value] }];

export const CHRONY_ASSOCIATION: CreateAssociationCommandInput = {
  AssociationName: SOLUTION_CHRONY_ASSOCIATION,
  Name: 'AWS-RunShellScript',
  Targets: fleetTarget,
  ScheduleExpression: ASSOCIATION_RATE,
  ComplianceSeverity: 'HIGH',
  Parameters: { commands: ['dnf install -y chrony', 'systemctl enable --now chronyd', 'systemctl is-active chronyd'] },
};

export const SCAN_ASSOCIATION: CreateAssociationCommandInput = {
  AssociationName: SOLUTION_SCAN_ASSOCIATION,
  Name: PATCH_DOCUMENT,
  Targets: [{ Key: `tag:${PATCH_GROUP_TAG_KEYS[0]}`, Values: [PATCH_GROUP] }],
  ScheduleExpression: 'rate(1 day)',
  ComplianceSeverity: 'HIGH',
  Parameters: { Operation: ['Scan'] },
};

/** Creates the association, or updates it to the wanted state when one of that name exists. */
async function association(ssm: SSMClient, input: CreateAssociationCommandInput, log: (line: string) => void): Promise<void> {
  const existing = await ssm.send(new ListAssociationsCommand({ AssociationFilterList: [{ key: 'AssociationName', value: input.AssociationName }] }));
  const id = existing.Associations?.[0]?.AssociationId;
  if (id) {
    await ssm.send(new UpdateAssociationCommand({ ...input, AssociationId: id }));
    log(`updated association ${input.AssociationName}`);
    return;
  }
  await ssm.send(new CreateAssociationCommand({ ...input, Tags: [{ Key: LAB_TAG_KEY, Value: LAB_ID }] }));
  log(`created association ${input.AssociationName}`);
}

async function baseline(ssm: SSMClient, log: (line: string) => void): Promise<string> {
  const found = await ssm.send(new DescribePatchBaselinesCommand({ Filters: [{ Key: 'NAME_PREFIX', Values: [SOLUTION_BASELINE_NAME] }, { Key: 'OWNER', Values: ['Self'] }] }));
  const existing = found.BaselineIdentities?.find((b) => b.BaselineName === SOLUTION_BASELINE_NAME)?.BaselineId;
  if (existing) return existing;
  const created = await ssm.send(
    new CreatePatchBaselineCommand({
      Name: SOLUTION_BASELINE_NAME,
      OperatingSystem: BASELINE.operatingSystem,
      Description: `doplab ${LAB_ID}: Critical and Important security updates, approved after ${BASELINE.approveAfterDays} days`,
      ApprovalRules: {
        PatchRules: [
          {
            PatchFilterGroup: {
              PatchFilters: [
                { Key: 'CLASSIFICATION', Values: [BASELINE.classification] },
                { Key: 'SEVERITY', Values: [...BASELINE.severities] },
              ],
            },
            ApproveAfterDays: BASELINE.approveAfterDays,
            ComplianceLevel: 'CRITICAL',
          },
        ],
      },
      Tags: [{ Key: LAB_TAG_KEY, Value: LAB_ID }],
    }),
  );
  log(`created patch baseline ${SOLUTION_BASELINE_NAME}`);
  return created.BaselineId ?? '';
}

export const solve: Solution<typeof Outputs> = async (ctx: SolutionContext<typeof Outputs>) => {
  const ssm = ctx.client(SSMClient);
  const ec2 = ctx.client(EC2Client);
  const instanceIds = ctx.outputs.instanceIds.split(',').filter(Boolean);
  await association(ssm, CHRONY_ASSOCIATION, ctx.log);
  const baselineId = await baseline(ssm, ctx.log);
  try {
    await ssm.send(new RegisterPatchBaselineForPatchGroupCommand({ BaselineId: baselineId, PatchGroup: PATCH_GROUP }));
    ctx.log(`registered ${SOLUTION_BASELINE_NAME} for patch group ${PATCH_GROUP}`);
  } catch (error) {
    if (awsErrorName(error) !== 'AlreadyExistsException') throw error;
  }
  await ec2.send(new CreateTagsCommand({ Resources: instanceIds, Tags: [{ Key: PATCH_GROUP_TAG_KEYS[0], Value: PATCH_GROUP }] }));
  ctx.log(`tagged ${instanceIds.join(', ')} ${PATCH_GROUP_TAG_KEYS[0]}=${PATCH_GROUP}`);
  // A new association runs at once on its targets, then on its schedule: the scan reports within minutes.
  await association(ssm, SCAN_ASSOCIATION, ctx.log);
  ctx.log('compliance reports arrive within minutes: doplab check --wait 10m');
};
