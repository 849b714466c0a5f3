import type { LeftoverContext, StackSnapshot } from '../../lib/lab';
import { MockedSession, type SdkModule } from './mocked-session';

export const ACCOUNT = '111122223333';
const CREDENTIALS = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };

/**
 * A LeftoverContext as `destroy` builds it (read-only clients of a MockedSession, so the read-only guard and
 * error mapping run), recording the IAM action and region of every call.
 */
export function leftoverContext(
  sdkModules: readonly SdkModule[],
  options: { readonly region: string; readonly regions?: readonly string[]; readonly stack?: StackSnapshot },
): { readonly ctx: LeftoverContext; readonly calls: { action: string; region: string }[] } {
  const session = new MockedSession({ region: options.region, credentials: CREDENTIALS }, sdkModules);
  const calls: { action: string; region: string }[] = [];
  const ctx: LeftoverContext = {
    account: ACCOUNT,
    region: options.region,
    regions: options.regions ?? [options.region],
    stack: options.stack,
    client: (ctor, region) => session.readOnlyClient(ctor, region ?? options.region, (action) => calls.push({ action, region: region ?? options.region })),
  };
  return { ctx, calls };
}
