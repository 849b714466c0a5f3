import { CloudFormationClient, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { stackNameFor } from '../contract';
import { DoplabError } from '../errors';
import type { AwsSession, CallListener } from './clients';
import { awsErrorMessage, awsErrorName } from './errors';

/** Who the session's credentials are and where they point. */
export interface Identity {
  readonly account: string;
  readonly arn: string;
  readonly region: string;
}

/** The region a client of this session resolves (--region, AWS_REGION, the profile); a clear error when none is set. */
async function resolveRegion(client: { config: { region: () => Promise<string> } }): Promise<string> {
  try {
    return await client.config.region();
  } catch {
    throw new DoplabError('NO_REGION', 'environment', 'No AWS region is set.', {
      hint: 'Pass --region, set AWS_REGION, or give the profile a region.',
    });
  }
}

/** Resolves the account and region of a session; fails early with a clear error when either is missing. */
export async function whoAmI(session: AwsSession): Promise<Identity> {
  const { STSClient, GetCallerIdentityCommand }: typeof import('@aws-sdk/client-sts') = require('@aws-sdk/client-sts');
  const sts = session.client(STSClient);
  const region = await resolveRegion(sts);
  const id = await sts.send(new GetCallerIdentityCommand({}));
  return { account: id.Account ?? 'unknown', arn: id.Arn ?? 'unknown', region };
}

/** The session's region without any AWS call (`check` learns the account from the lab stack's ARN instead). */
export async function sessionRegion(session: AwsSession): Promise<string> {
  return resolveRegion(session.readOnlyClient(CloudFormationClient));
}

/** The account in an ARN (`arn:aws:cloudformation:eu-west-1:111122223333:stack/...`), if it has one. */
export function arnAccount(arn: string | undefined): string | undefined {
  const account = arn?.split(':')[4];
  return account && /^\d{12}$/.test(account) ? account : undefined;
}

/** A deployed lab stack as the checker sees it. */
export interface LabStack {
  readonly name: string;
  /** The account the stack lives in (from its StackId ARN): the account of the credentials that read it. */
  readonly account?: string;
  readonly status: string;
  readonly createdAt?: string;
  readonly outputs: Readonly<Record<string, string>>;
}

const READY = /^(CREATE_COMPLETE|UPDATE_COMPLETE|UPDATE_ROLLBACK_COMPLETE|IMPORT_COMPLETE|IMPORT_ROLLBACK_COMPLETE)$/;

/** Reads a lab's stack; "not deployed" and half-deployed stacks become errors that say what to run. */
export async function readLabStack(
  session: AwsSession,
  labId: string,
  region: string,
  listener?: CallListener,
): Promise<LabStack> {
  const name = stackNameFor(labId);
  const cfn = session.readOnlyClient(CloudFormationClient, region, listener);
  let stack: Stack | undefined;
  try {
    stack = (await cfn.send(new DescribeStacksCommand({ StackName: name }))).Stacks?.[0];
  } catch (error) {
    // CloudFormation says "Stack with id X does not exist" as a ValidationError; other ValidationErrors are real failures.
    if (awsErrorName(error) !== 'ValidationError' || !/does not exist/.test(awsErrorMessage(error))) throw error;
  }
  if (!stack || stack.StackStatus === 'DELETE_COMPLETE') {
    throw new DoplabError('LAB_NOT_DEPLOYED', 'environment', `Lab ${labId} is not deployed in ${region} (no stack ${name}).`, {
      hint: `Run doplab deploy ${labId} --region ${region}.`,
    });
  }
  const status = stack.StackStatus ?? 'UNKNOWN';
  if (!READY.test(status)) {
    const hint = status.endsWith('IN_PROGRESS')
      ? 'Wait for CloudFormation to finish, then check again.'
      : `Run doplab destroy ${labId}, then doplab deploy ${labId}.`;
    throw new DoplabError('LAB_NOT_DEPLOYED', 'environment', `Stack ${name} in ${region} is ${status}, not ready to check.`, { hint });
  }
  const outputs: Record<string, string> = {};
  for (const o of stack.Outputs ?? []) if (o.OutputKey && o.OutputValue !== undefined) outputs[o.OutputKey] = o.OutputValue;
  return { name, account: arnAccount(stack.StackId), status, createdAt: stack.CreationTime?.toISOString(), outputs };
}
