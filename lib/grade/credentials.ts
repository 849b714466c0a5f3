import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsSession } from '../aws/clients';
import { DoplabError, toErrorInfo } from '../errors';
import type { RosterEntry } from './roster';
import { roleSessionName } from './roster';

/** Credentials as the SDK takes them from a provider. */
export interface TemporaryCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

/** A learner's grading session: refreshing credentials of the grader role and who they are. */
export interface AssumedRole {
  /** For AwsOptions.credentials: re-assumes the role shortly before the credentials expire. */
  readonly credentials: () => Promise<TemporaryCredentials>;
  /** The assumed-role ARN (arn:aws:sts::<account>:assumed-role/<role>/<session>). */
  readonly arn: string;
}

/** The shortest session STS grants: grading one account takes seconds, and the provider refreshes anyway. */
export const SESSION_SECONDS = 900;
/** Refresh this long before expiry; more than the SDK's own 5-minute margin, so its refresh gets new credentials. */
const REFRESH_MARGIN_MS = 6 * 60_000;

/**
 * Assumes the learner's grader role with the instructor's credentials (the instructor session's one
 * STS client, so doplab's retries, timeouts and error mapping apply). Assumed now, not lazily, so that
 * "role not assumable" is reported as such rather than as the failure of the first service call.
 */
export async function assumeLearnerRole(instructor: AwsSession, entry: RosterEntry, now: () => number = Date.now): Promise<AssumedRole> {
  const sts = instructor.client(STSClient, instructor.configuredRegion ?? entry.region);
  const assume = async (): Promise<{ credentials: TemporaryCredentials; arn: string }> => {
    try {
      const response = await sts.send(
        new AssumeRoleCommand({
          RoleArn: entry.roleArn,
          RoleSessionName: roleSessionName(entry.learner),
          DurationSeconds: SESSION_SECONDS,
          ...(entry.externalId !== undefined ? { ExternalId: entry.externalId } : {}),
        }),
      );
      const c = response.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) throw new Error('AssumeRole returned no credentials');
      return {
        credentials: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration },
        arn: response.AssumedRoleUser?.Arn ?? entry.roleArn,
      };
    } catch (error) {
      const info = toErrorInfo(error);
      throw new DoplabError(info.code === 'INTERNAL' ? 'AWS_ERROR' : info.code, 'environment', `Cannot assume ${entry.roleArn}${entry.externalId ? ' (with the external id)' : ''}: ${info.message}`, {
        cause: error,
        action: 'sts:AssumeRole',
        hint:
          info.code === 'NO_CREDENTIALS' || info.code === 'EXPIRED_CREDENTIALS'
            ? info.hint
            : `Deploy the grader role in account ${entry.accountId} (doplab grader-role), trusting your account, with the external id in the roster.`,
      });
    }
  };

  let current = await assume();
  let refreshing: Promise<TemporaryCredentials> | undefined;
  const credentials = async (): Promise<TemporaryCredentials> => {
    if (current.credentials.expiration.getTime() - now() > REFRESH_MARGIN_MS) return current.credentials;
    refreshing ??= assume()
      .then((next) => {
        current = next;
        return next.credentials;
      })
      .finally(() => (refreshing = undefined));
    return refreshing;
  };
  return { credentials, arn: current.arn };
}
