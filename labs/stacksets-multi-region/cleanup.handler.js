'use strict';
// In-stack cleanup of lab stacksets-multi-region (DESIGN §7): the learner's StackSets and their stack instances in every
// region would outlive the roles they use, orphaned. Order: stack instances (wait) → StackSet → the roles (CloudFormation,
// after this). Inlined at synth after lib/cdk/cleanup-runtime.js.
const {
  CloudFormationClient,
  ListStackSetsCommand,
  DescribeStackSetCommand,
  ListStackInstancesCommand,
  ListStackSetOperationsCommand,
  DescribeStackSetOperationCommand,
  DeleteStackInstancesCommand,
  DeleteStackSetCommand,
} = require('@aws-sdk/client-cloudformation');

const BUSY = ['RUNNING', 'QUEUED', 'STOPPING'];

/** Deletes every StackSet that uses the lab's administration or execution role: its instances first, then the set. */
exports.onDelete = async (props, log) => {
  const cfn = new CloudFormationClient({});
  const pollMs = Number(props.PollSeconds ?? 10) * 1000;
  const sets = await findLabStackSets(cfn, props.AdministrationRoleArn, props.ExecutionRoleName);
  log(`lab StackSets: [${sets.join(', ')}]`);
  const failed = [];
  for (const name of sets) {
    try {
      await removeStackSet(cfn, name, pollMs, log);
    } catch (e) {
      failed.push(`${name}: ${e.name}: ${e.message}`);
    }
  }
  if (failed.length > 0) throw new Error(`could not delete ${failed.join('; ')}`);
};

async function findLabStackSets(cfn, adminRoleArn, executionRoleName) {
  const names = [];
  let NextToken;
  do {
    // ListStackSets also lists DELETED sets unless asked for ACTIVE ones.
    const page = await cfn.send(new ListStackSetsCommand({ Status: 'ACTIVE', NextToken }));
    for (const summary of page.Summaries ?? []) {
      if (summary.Status === 'DELETED' || summary.PermissionModel === 'SERVICE_MANAGED') continue;
      const { StackSet: set } = await cfn.send(new DescribeStackSetCommand({ StackSetName: summary.StackSetName }));
      if (set && (set.AdministrationRoleARN === adminRoleArn || set.ExecutionRoleName === executionRoleName)) names.push(set.StackSetName);
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return names;
}

async function removeStackSet(cfn, name, pollMs, log) {
  // One operation at a time per StackSet: let a running one (the learner's update, a drift check) finish first.
  for (const op of await busyOperations(cfn, name)) await waitFor(cfn, name, op.OperationId, pollMs, log);
  const instances = await listInstances(cfn, name);
  if (instances.length > 0) {
    const accounts = [...new Set(instances.map((i) => i.Account))];
    const regions = [...new Set(instances.map((i) => i.Region))];
    const { OperationId } = await cfn.send(
      new DeleteStackInstancesCommand({
        StackSetName: name,
        Accounts: accounts,
        Regions: regions,
        RetainStacks: false,
        OperationPreferences: { RegionConcurrencyType: 'PARALLEL', MaxConcurrentPercentage: 100, FailureTolerancePercentage: 100 },
      }),
    );
    log(`${name}: deleting stack instances in ${regions.join(', ')} (operation ${OperationId})`);
    const status = await waitFor(cfn, name, OperationId, pollMs, log);
    if (status !== 'SUCCEEDED') throw new Error(`operation ${OperationId} deleting the stack instances ended ${status}`);
  }
  await cfn.send(new DeleteStackSetCommand({ StackSetName: name }));
  log(`${name}: deleted`);
}

async function busyOperations(cfn, name) {
  const page = await cfn.send(new ListStackSetOperationsCommand({ StackSetName: name, MaxResults: 100 }));
  return (page.Summaries ?? []).filter((op) => BUSY.includes(op.Status));
}

async function listInstances(cfn, name) {
  const instances = [];
  let NextToken;
  do {
    const page = await cfn.send(new ListStackInstancesCommand({ StackSetName: name, NextToken }));
    instances.push(...(page.Summaries ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return instances;
}

async function waitFor(cfn, name, operationId, pollMs, log) {
  for (;;) {
    const { StackSetOperation: op } = await cfn.send(new DescribeStackSetOperationCommand({ StackSetName: name, OperationId: operationId }));
    if (!BUSY.includes(op.Status)) return op.Status;
    log(`${name}: operation ${operationId} (${op.Action}) is ${op.Status}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
