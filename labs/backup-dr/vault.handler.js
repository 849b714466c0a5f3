'use strict';
// Custom resource Custom::DopLabBackupVault of lab backup-dr: the lab's backup vault in the second region, which a
// stack in the deploy region cannot declare. Create makes it there (taking over one left from an earlier deploy),
// Delete deletes it; the in-stack cleanup, which runs first, has emptied it by then. Inlined into InlineResources.
const { BackupClient, CreateBackupVaultCommand, DescribeBackupVaultCommand, DeleteBackupVaultCommand } = require('@aws-sdk/client-backup');

exports.onEvent = async (event, client = (region) => new BackupClient({ region })) => {
  const { Region, Name, Tags } = event.ResourceProperties;
  const backup = client(Region);
  if (event.RequestType === 'Delete') {
    // A physical id that is no vault ARN: the Create failed before one existed.
    if (!String(event.PhysicalResourceId).startsWith('arn:')) return { id: event.PhysicalResourceId };
    try {
      await backup.send(new DeleteBackupVaultCommand({ BackupVaultName: Name }));
      console.log(`deleted vault ${Name} in ${Region}`);
    } catch (e) {
      if (e.name !== 'ResourceNotFoundException') throw e;
    }
    return { id: event.PhysicalResourceId };
  }
  let arn;
  try {
    arn = (await backup.send(new CreateBackupVaultCommand({ BackupVaultName: Name, BackupVaultTags: JSON.parse(Tags || '{}') }))).BackupVaultArn;
  } catch (e) {
    if (e.name !== 'AlreadyExistsException') throw e;
    arn = (await backup.send(new DescribeBackupVaultCommand({ BackupVaultName: Name }))).BackupVaultArn;
  }
  console.log(`vault ${arn}`);
  return { id: arn, data: { Arn: arn } };
};
