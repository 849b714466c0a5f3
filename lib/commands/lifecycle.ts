import { stackNameFor } from '../contract';
import { DoplabError } from '../errors';
import type { Io } from '../io';
import type { AnyLab } from '../registry';
import type { AwsOptions } from '../aws/clients';
import { formatDuration } from '../duration';
import { DoplabIoHost } from '../toolkit-io';

/** AWS options, plus --verbose for the toolkit's debug messages. */
export type ToolkitOptions = AwsOptions & { readonly verbose?: boolean };

// The CDK toolkit library and aws-cdk-lib are loaded here only, on demand: `check` must stay fast.
async function loadToolkit(aws: ToolkitOptions, io: Io) {
  // The toolkit's own SDK clients read these like the AWS CLI does.
  if (aws.region) process.env.AWS_REGION = aws.region;
  if (aws.endpointUrl) process.env.AWS_ENDPOINT_URL = aws.endpointUrl;
  const toolkitLib: typeof import('@aws-cdk/toolkit-lib') = require('@aws-cdk/toolkit-lib');
  const toolkit = new toolkitLib.Toolkit({
    sdkConfig: { baseCredentials: toolkitLib.BaseCredentials.awsCliCompatible({ profile: aws.profile }) },
    ioHost: new DoplabIoHost(io, aws.verbose),
    color: io.color,
    emojis: false,
  });
  return { toolkit, toolkitLib };
}

/** The lab's CDK app, synthesized in-process (no `cdk` subprocess). */
async function labAssembly(lab: AnyLab, aws: ToolkitOptions, io: Io) {
  const { toolkit, toolkitLib } = await loadToolkit(aws, io);
  const cdk: typeof import('aws-cdk-lib') = require('aws-cdk-lib');
  const stackModule = await lab.loadStack();
  const assembly = await toolkit.fromAssemblyBuilder(async (props) => {
    const app = new cdk.App({ outdir: props.outdir, context: props.context });
    stackModule.addLabStack(app);
    return app.synth();
  });
  const stacks = { strategy: toolkitLib.StackSelectionStrategy.PATTERN_MUST_MATCH_SINGLE, patterns: [stackNameFor(lab.id)] };
  return { toolkit, assembly, stacks };
}

function toolkitFailure(code: 'DEPLOY_FAILED' | 'DESTROY_FAILED', lab: AnyLab, error: unknown): DoplabError {
  const message = error instanceof Error ? error.message : String(error);
  if (/Could not load credentials|Need to perform AWS calls|Unable to resolve AWS account/i.test(message)) {
    return new DoplabError('NO_CREDENTIALS', 'environment', `No usable AWS credentials to ${code === 'DEPLOY_FAILED' ? 'deploy' : 'destroy'} ${lab.id}: ${message}`, {
      cause: error,
      hint: 'Pass --profile, set AWS_PROFILE, run `aws sso login`, or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.',
    });
  }
  return new DoplabError(code, 'environment', `${code === 'DEPLOY_FAILED' ? 'Deploying' : 'Destroying'} ${lab.id} failed: ${message}`, {
    cause: error,
    hint: code === 'DEPLOY_FAILED' ? `Fix the cause above, then run doplab deploy ${lab.id} again.` : `Run doplab destroy ${lab.id} again.`,
  });
}

/** `doplab deploy <lab>`: synthesizes the lab's stack and deploys it with the CDK toolkit library. */
export async function deployLab(lab: AnyLab, aws: ToolkitOptions, io: Io): Promise<number> {
  io.err(`Deploying ${lab.id} (${stackNameFor(lab.id)}): about ${lab.deployMinutes} min, ~$${lab.cost.usdPerHour.toFixed(4)}/hour while deployed.`);
  const started = Date.now();
  const { toolkit, assembly, stacks } = await labAssembly(lab, aws, io);
  try {
    await toolkit.deploy(assembly, { stacks });
  } catch (error) {
    throw toolkitFailure('DEPLOY_FAILED', lab, error);
  }
  io.err(`Deployed ${lab.id} in ${formatDuration(Date.now() - started)}. Next: doplab show ${lab.id}`);
  return 0;
}

/** `doplab destroy <lab>`: deletes the lab's stack (its in-stack cleanup removes what the learner made). */
export async function destroyLab(lab: AnyLab, aws: ToolkitOptions, io: Io): Promise<number> {
  const started = Date.now();
  const { toolkit, assembly, stacks } = await labAssembly(lab, aws, io);
  try {
    await toolkit.destroy(assembly, { stacks });
  } catch (error) {
    throw toolkitFailure('DESTROY_FAILED', lab, error);
  }
  io.err(`Destroyed ${lab.id} in ${formatDuration(Date.now() - started)}.`);
  return 0;
}

/** `doplab synth <lab>`: the lab's CloudFormation template, synthesized offline. */
export async function synthLab(lab: AnyLab, io: Io, options: { verbose?: boolean } = {}): Promise<number> {
  const { toolkit, assembly, stacks } = await labAssembly(lab, options, io);
  const cached = await toolkit.synth(assembly, { stacks });
  try {
    const artifact = cached.cloudAssembly.getStackByName(stackNameFor(lab.id));
    io.out(JSON.stringify(artifact.template, null, 2));
  } finally {
    await cached.dispose();
  }
  return 0;
}
