'use strict';
// Custom resource Custom::DopLabBackupRegionSettings of lab backup-dr: on Create, records AWS Backup's DynamoDB opt-in
// and management preferences in each of props.Regions as its physical id (CloudFormation keeps it); on Delete, puts back
// in each region what it recorded, so that turning on advanced DynamoDB backup for the lab changes nothing for good.
// Inlined into the stack's InlineResources function.
const { BackupClient, DescribeRegionSettingsCommand, UpdateRegionSettingsCommand } = require('@aws-sdk/client-backup');

const PREFIX = 'dynamodb-settings:';

async function read(backup) {
  const s = await backup.send(new DescribeRegionSettingsCommand({}));
  return [Boolean((s.ResourceTypeOptInPreference || {}).DynamoDB), Boolean((s.ResourceTypeManagementPreference || {}).DynamoDB)];
}

exports.onEvent = async (event, client = (region) => new BackupClient({ region })) => {
  if (event.RequestType === 'Create') {
    const parts = [];
    for (const region of event.ResourceProperties.Regions.split(',')) {
      const [optIn, managed] = await read(client(region));
      parts.push(`${region}=${optIn}/${managed}`);
    }
    console.log(`recorded ${parts.join(' ')}`);
    return { id: PREFIX + parts.join(',') };
  }
  const id = String(event.PhysicalResourceId);
  if (event.RequestType === 'Update' || !id.startsWith(PREFIX)) return { id };
  const failed = [];
  for (const part of id.slice(PREFIX.length).split(',')) {
    const [region, values] = part.split('=');
    const [optIn, managed] = values.split('/').map((v) => v === 'true');
    try {
      const backup = client(region);
      const now = await read(backup);
      if (now[0] === optIn && now[1] === managed) continue;
      await backup.send(new UpdateRegionSettingsCommand({ ResourceTypeOptInPreference: { DynamoDB: optIn }, ResourceTypeManagementPreference: { DynamoDB: managed } }));
      console.log(`${region}: DynamoDB opt-in ${optIn}, management ${managed} restored (were ${now.join('/')})`);
    } catch (e) {
      failed.push(`${region}: ${e.name}: ${e.message}`);
    }
  }
  // A failure must not wedge the stack in DELETE_FAILED: say so, and let the leftover audit report the setting.
  if (failed.length > 0) console.log(`could not restore ${failed.join('; ')}`);
  return { id };
};
