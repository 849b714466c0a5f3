'use strict';
// In-stack cleanup of lab artifact-repositories (DESIGN §7). At deploy it records the account's ECR registry scanning
// configuration (per account and Region; PutRegistryScanningConfiguration replaces the whole rule list) in the lab's
// parameter; at delete it puts exactly that back, so the learner's scanning rule goes and every other rule stays as it
// was. Then it empties the lab's CodeArtifact domain: upstream links and external connections first (CodeArtifact
// refuses to delete a repository that is another's upstream), then the learner's repositories, so that CloudFormation
// can delete orders-npm and the domain. The learner's images go with the ECR repository (EmptyOnDelete).
// Inlined at synth after lib/cdk/cleanup-runtime.js.
const { ECRClient, GetRegistryScanningConfigurationCommand, PutRegistryScanningConfigurationCommand } = require('@aws-sdk/client-ecr');
const { SSMClient, GetParameterCommand, PutParameterCommand } = require('@aws-sdk/client-ssm');
const {
  CodeartifactClient,
  ListRepositoriesInDomainCommand,
  DescribeRepositoryCommand,
  UpdateRepositoryCommand,
  DisassociateExternalConnectionCommand,
  DeleteRepositoryCommand,
} = require('@aws-sdk/client-codeartifact');
const { attempts } = require('../../lib/cdk/cleanup-helpers.js');

// Records the registry scanning configuration in props.ScanningRecord (a throw fails the deploy: nothing changed yet).
exports.onCreate = async (props, log) => {
  const current = await registryScanning(new ECRClient({}));
  // Intelligent-Tiering: a standard parameter up to 4 KB, advanced beyond, so that a long rule list still fits.
  await new SSMClient({}).send(
    new PutParameterCommand({ Name: props.ScanningRecord, Value: JSON.stringify(current), Type: 'String', Overwrite: true, Tier: 'Intelligent-Tiering' }),
  );
  log(`recorded registry scanning configuration ${JSON.stringify(current)}`);
};

// Restores the recorded registry scanning configuration, then empties props.Domain but for props.NpmRepository.
exports.onDelete = async (props, log) => {
  const attempt = attempts();
  await attempt('registry scanning configuration', () => restoreScanning(props.ScanningRecord, log));
  await attempt(`domain ${props.Domain}`, () => emptyDomain(props.Domain, props.NpmRepository, log));
  attempt.done();
};

// The configuration as PutRegistryScanningConfiguration takes it, in a stable shape to compare.
async function registryScanning(ecr) {
  const c = (await ecr.send(new GetRegistryScanningConfigurationCommand({}))).scanningConfiguration || {};
  return {
    scanType: c.scanType || 'BASIC',
    rules: (c.rules || []).map((r) => ({
      scanFrequency: r.scanFrequency,
      repositoryFilters: (r.repositoryFilters || []).map((f) => ({ filter: f.filter, filterType: f.filterType })),
    })),
  };
}

async function restoreScanning(name, log) {
  let recorded;
  try {
    recorded = (await new SSMClient({}).send(new GetParameterCommand({ Name: name }))).Parameter.Value;
  } catch (e) {
    if (e.name !== 'ParameterNotFound') throw e;
  }
  // Create failed before recording (or the parameter is gone): nothing is known to restore, so nothing is changed.
  if (!recorded || !recorded.startsWith('{')) return log(`no registry scanning configuration recorded in ${name}: left as it is`);
  const ecr = new ECRClient({});
  const current = JSON.stringify(await registryScanning(ecr));
  if (current === recorded) return log('registry scanning configuration unchanged since deploy');
  await ecr.send(new PutRegistryScanningConfigurationCommand(JSON.parse(recorded)));
  log(`restored registry scanning configuration ${recorded} (was ${current})`);
}

async function emptyDomain(domain, keep, log) {
  const ca = new CodeartifactClient({});
  const names = [];
  let nextToken;
  try {
    do {
      const page = await ca.send(new ListRepositoriesInDomainCommand({ domain, nextToken }));
      for (const r of page.repositories || []) names.push(r.name);
      nextToken = page.nextToken;
    } while (nextToken);
  } catch (e) {
    if (e.name === 'ResourceNotFoundException') return log(`domain ${domain} does not exist`);
    throw e;
  }
  for (const repository of names) {
    const r = (await ca.send(new DescribeRepositoryCommand({ domain, repository }))).repository || {};
    if ((r.upstreams || []).length > 0) {
      await ca.send(new UpdateRepositoryCommand({ domain, repository, upstreams: [] }));
      log(`removed the upstreams of ${repository}: ${r.upstreams.map((u) => u.repositoryName).join(', ')}`);
    }
    for (const c of r.externalConnections || []) {
      await ca.send(new DisassociateExternalConnectionCommand({ domain, repository, externalConnection: c.externalConnectionName }));
      log(`removed external connection ${c.externalConnectionName} of ${repository}`);
    }
  }
  for (const repository of names.filter((n) => n !== keep)) {
    await ca.send(new DeleteRepositoryCommand({ domain, repository }));
    log(`deleted repository ${repository}`);
  }
}
