'use strict';
// In-stack cleanup of lab ssm-fleet-compliance (DESIGN §7). What the learner made in Systems Manager survives the
// instances: associations, maintenance windows, patch baselines and their patch-group registrations. Order:
// associations and windows (they run on the fleet) first, then each patch-group registration before its baseline.
// Compliance data has no delete API: it goes with the associations and the instances.
// Inlined at synth after lib/cdk/cleanup-runtime.js.
const ssmSdk = require('@aws-sdk/client-ssm');
const { pages } = require('../../lib/cdk/cleanup-helpers.js');

exports.onDelete = async (props, log) => {
  const ssm = new ssmSdk.SSMClient({});
  const failed = [];
  const attempt = async (what, work) => {
    try {
      const said = await work();
      log(typeof said === 'string' ? said : what);
    } catch (e) {
      failed.push(`${what}: ${e.name}: ${e.message}`);
    }
  };
  const instanceIds = props.InstanceIds.split(',');
  const [fleetKey, fleetValue] = props.FleetTag.split('=');
  const groupKeys = props.PatchGroupTagKeys.split(',').map((k) => `tag:${k}`);
  const group = props.PatchGroup.toLowerCase();
  // Aimed at the lab: the fleet tag or the lab tag, a lab instance id, or the patch-group tag with the lab's group (any case).
  const aimsAtLab = (targets) =>
    (targets || []).some(
      (t) =>
        (t.Key === `tag:${fleetKey}` && (t.Values || []).includes(fleetValue)) ||
        t.Key === 'tag:doplab:lab' ||
        (t.Key === 'InstanceIds' && (t.Values || []).some((v) => instanceIds.includes(v))) ||
        (groupKeys.includes(t.Key) && (t.Values || []).some((v) => v.toLowerCase() === group)),
    );

  const associations = await pages((NextToken) => ssm.send(new ssmSdk.ListAssociationsCommand({ NextToken })), 'Associations');
  for (const a of associations.filter((x) => aimsAtLab(x.Targets) || (x.InstanceId && instanceIds.includes(x.InstanceId)))) {
    await attempt(`deleted association ${a.AssociationName || a.AssociationId} (${a.Name})`, () =>
      ssm.send(new ssmSdk.DeleteAssociationCommand({ AssociationId: a.AssociationId })),
    );
  }
  const windows = await pages((NextToken) => ssm.send(new ssmSdk.DescribeMaintenanceWindowsCommand({ NextToken })), 'WindowIdentities');
  for (const w of windows) {
    const targets = await pages((NextToken) => ssm.send(new ssmSdk.DescribeMaintenanceWindowTargetsCommand({ WindowId: w.WindowId, NextToken })), 'Targets');
    if (!targets.some((t) => aimsAtLab(t.Targets))) continue;
    await attempt(`deleted maintenance window ${w.Name} (${w.WindowId})`, () => ssm.send(new ssmSdk.DeleteMaintenanceWindowCommand({ WindowId: w.WindowId })));
  }
  const mappings = await pages((NextToken) => ssm.send(new ssmSdk.DescribePatchGroupsCommand({ NextToken })), 'Mappings');
  const baselines = new Set();
  for (const m of mappings.filter((x) => (x.PatchGroup || '').toLowerCase() === group)) {
    const id = m.BaselineIdentity && m.BaselineIdentity.BaselineId;
    if (!id) continue;
    await attempt(`deregistered baseline ${id} from patch group ${m.PatchGroup}`, () =>
      ssm.send(new ssmSdk.DeregisterPatchBaselineForPatchGroupCommand({ BaselineId: id, PatchGroup: m.PatchGroup })),
    );
    // AWS-owned baselines are named by ARN and cannot be deleted; a default baseline is kept too.
    if (!id.startsWith('arn:') && !(m.BaselineIdentity && m.BaselineIdentity.DefaultBaseline)) baselines.add(id);
  }
  for (const id of baselines) {
    await attempt(`deleted patch baseline ${id}`, async () => {
      const baseline = await ssm.send(new ssmSdk.GetPatchBaselineCommand({ BaselineId: id }));
      const others = (baseline.PatchGroups || []).filter((g) => g.toLowerCase() !== group);
      if (others.length > 0) return `kept patch baseline ${id}: it serves patch groups ${others.join(', ')} too`;
      await ssm.send(new ssmSdk.DeletePatchBaselineCommand({ BaselineId: id }));
    });
  }
  if (failed.length > 0) throw new Error(`could not clean up: ${failed.join('; ')}`);
};
