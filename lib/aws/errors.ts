import { DoplabError } from '../errors';

const ACCESS_DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'AuthorizationError',
  'AuthorizationErrorException',
  'UnauthorizedAccess',
]);
const EXPIRED = new Set(['ExpiredToken', 'ExpiredTokenException', 'RequestExpired', 'TokenRefreshRequired']);
const INVALID_CREDENTIALS = new Set([
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'InvalidSignatureException',
]);
const THROTTLED = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
]);
const NETWORK = new Set(['ENOTFOUND', 'ECONNREFUSED', 'ECONNRESET', 'EAI_AGAIN', 'EHOSTUNREACH']);

/** Where a call was made, for messages: `logs:DescribeMetricFilters in eu-west-1`. */
export interface CallSite {
  /** The IAM action, e.g. `logs:DescribeMetricFilters`. */
  readonly action: string;
  readonly region: string;
}

/** Maps an error thrown by an SDK call to a DoplabError that says what, where and what to do. */
export function mapAwsError(error: unknown, site: CallSite): DoplabError {
  if (error instanceof DoplabError) return error;
  const e = (error ?? {}) as { name?: string; code?: string; message?: string; $metadata?: unknown };
  const name = e.name ?? 'Error';
  const message = e.message ?? String(error);
  const where = `${site.action} in ${site.region}`;
  const opts = { cause: error, action: site.action };

  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return new DoplabError('NO_CREDENTIALS', 'environment', `No AWS credentials found (needed for ${where}).`, {
      ...opts,
      hint: 'Pass --profile, set AWS_PROFILE, run `aws sso login`, or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.',
    });
  }
  if (EXPIRED.has(name)) {
    return new DoplabError('EXPIRED_CREDENTIALS', 'environment', `Your AWS credentials have expired (${where}).`, {
      ...opts,
      hint: 'Refresh them (e.g. `aws sso login --profile <profile>`) and run the command again.',
    });
  }
  if (INVALID_CREDENTIALS.has(name)) {
    return new DoplabError(
      'NO_CREDENTIALS',
      'environment',
      `AWS rejected the credentials for ${where}: ${message}`,
      { ...opts, hint: 'Check the profile or access keys; if the region is opt-in, enable it for the account.' },
    );
  }
  if (ACCESS_DENIED.has(name)) {
    return new DoplabError('ACCESS_DENIED', 'environment', `Access denied: ${where} is not allowed.`, {
      ...opts,
      hint: `Allow ${site.action} for the identity you use (doplab grader-role lists every action checkers need).`,
    });
  }
  if (THROTTLED.has(name)) {
    return new DoplabError('THROTTLED', 'environment', `AWS kept throttling ${where} after retries: ${message}`, {
      ...opts,
      hint: 'Wait a minute and run again; other tools calling the same API in this account share its rate limit.',
    });
  }
  if (name === 'TimeoutError' || name === 'RequestTimeout' || /timed? ?out/i.test(name)) {
    return new DoplabError('TIMEOUT', 'environment', `${where} timed out.`, {
      ...opts,
      hint: 'Check the network or --endpoint-url, then run again.',
    });
  }
  if (NETWORK.has(e.code ?? '') || NETWORK.has(name)) {
    return new DoplabError('AWS_ERROR', 'environment', `Could not reach AWS for ${where}: ${message}`, {
      ...opts,
      hint: 'Check the region name, the network, or --endpoint-url.',
    });
  }
  if (name === 'OptInRequired' || /region.*(not enabled|disabled)/i.test(message)) {
    return new DoplabError('REGION_DISABLED', 'environment', `Region ${site.region} is not enabled for this account.`, {
      ...opts,
      hint: 'Enable the region in the account settings, or use another --region.',
    });
  }
  return new DoplabError('AWS_ERROR', 'environment', `${where} failed: ${name}: ${message}`, opts);
}

/** The AWS error name behind an error, looking through a DoplabError's cause. */
export function awsErrorName(error: unknown): string | undefined {
  const e = error as { name?: string; cause?: unknown } | undefined;
  if (e instanceof DoplabError) return awsErrorName(e.cause);
  return e?.name;
}

/** The AWS error message behind an error, looking through a DoplabError's cause. */
export function awsErrorMessage(error: unknown): string {
  const e = error as { message?: string; cause?: unknown } | undefined;
  if (e instanceof DoplabError) return awsErrorMessage(e.cause);
  return e?.message ?? '';
}
