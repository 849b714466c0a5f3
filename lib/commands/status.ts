import { CloudFormationClient, type Stack } from '@aws-sdk/client-cloudformation';
import { createColors } from 'picocolors';
import { AwsSession, type AwsOptions } from '../aws/clients';
import { whoAmI } from '../aws/lab-stack';
import { EXPIRES_AT_OUTPUT } from '../cdk/base-names';
import { formatDuration } from '../duration';
import { DoplabError, ExitCode } from '../errors';
import type { Io } from '../io';
import type { AnyLab } from '../registry';
import { describeFailure, labIdOfStack, lastDeletionFailures, listDoplabStacks, type ResourceFailure } from '../lifecycle/stacks';
import { deploymentKey, readState, type PassedCheck } from '../lifecycle/state';

/** One deployed lab, as `doplab status` shows it. */
export interface LabStatus {
  readonly lab: string;
  readonly region: string;
  readonly stackStatus: string;
  /** ISO 8601. */
  readonly createdAt: string;
  readonly ageMs: number;
  /** ISO 8601, when the expiry schedule deletes it; null when deployed without --ttl. */
  readonly expiresAt: string | null;
  /** Negative once past (the schedule may be retrying); null without expiry. */
  readonly msLeft: number | null;
  /** Hours deployed × the lab's cost per hour; null for a lab this doplab does not know. */
  readonly costSoFarUsd: number | null;
  /** The last live `check` that passed since this deployment was created, if any. */
  readonly checkPassed: PassedCheck | null;
  /** Past its expiry (the schedule has fired, or is retrying). */
  readonly expired: boolean;
  /** Set when the stack is DELETE_FAILED: nothing retries it, and it keeps costing until `command` is run. */
  readonly deletionFailed: DeletionFailed | null;
}

/** A lab stack whose deletion failed (DELETE_FAILED), e.g. by its expiry schedule. */
export interface DeletionFailed {
  /** The resources CloudFormation could not delete in its last attempt, oldest first, with its reasons. */
  readonly failures: readonly ResourceFailure[];
  /** What to run to finish the deletion. */
  readonly command: string;
  /** Set when the stack events could not be read (e.g. access denied): why. */
  readonly eventsUnreadable?: string;
}

/** Options of `doplab status`. */
export interface StatusOptions {
  readonly json?: boolean;
  readonly allRegions?: boolean;
}

/** Every region of the partition, from the public SSM parameters (`/aws/service/global-infrastructure/regions`). */
export async function partitionRegions(session: AwsSession, region: string): Promise<string[]> {
  // Loaded on demand: the SSM client is large and only --all-regions needs it.
  const { GetParametersByPathCommand, SSMClient } = require('@aws-sdk/client-ssm') as typeof import('@aws-sdk/client-ssm');
  const ssm = session.readOnlyClient(SSMClient, region);
  const regions: string[] = [];
  let token: string | undefined;
  do {
    const page = await ssm.send(new GetParametersByPathCommand({ Path: '/aws/service/global-infrastructure/regions', NextToken: token }));
    for (const p of page.Parameters ?? []) if (p.Value) regions.push(p.Value);
    token = page.NextToken;
  } while (token);
  return regions.sort();
}

/** The status row of a lab stack. */
export function labStatus(stack: Stack, region: string, labs: readonly AnyLab[], passed: Readonly<Record<string, PassedCheck>>, account: string, now: number): LabStatus | undefined {
  const id = labIdOfStack(stack.StackName ?? '');
  if (!id) return undefined;
  const created = stack.CreationTime ?? new Date(now);
  const ageMs = Math.max(0, now - created.getTime());
  const expiresAt = stack.Outputs?.find((o) => o.OutputKey === EXPIRES_AT_OUTPUT)?.OutputValue ?? null;
  const lab = labs.find((l) => l.id === id);
  const check = passed[deploymentKey(account, region, id)];
  return {
    lab: id,
    region,
    stackStatus: stack.StackStatus ?? 'UNKNOWN',
    createdAt: created.toISOString(),
    ageMs,
    expiresAt,
    msLeft: expiresAt ? new Date(expiresAt).getTime() - now : null,
    expired: expiresAt ? new Date(expiresAt).getTime() <= now : false,
    costSoFarUsd: lab ? (ageMs / 3600_000) * lab.cost.usdPerHour : null,
    // A pass recorded before this stack was created belongs to an earlier deployment.
    checkPassed: check && new Date(check.at).getTime() >= created.getTime() ? check : null,
    deletionFailed: null,
  };
}

/** `3h 05m`, `12m 30s`: ages and time left, where hours matter. */
export function formatAge(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  return minutes >= 60 ? `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m` : formatDuration(ms);
}

function row(s: LabStatus): string[] {
  const left = s.msLeft === null ? 'no expiry' : s.msLeft > 0 ? formatAge(s.msLeft) : `overdue ${formatAge(-s.msLeft)}`;
  const check = s.checkPassed ? `passed ${s.checkPassed.score}/${s.checkPassed.maxScore}` : 'not yet';
  return [s.lab, s.region, s.stackStatus, formatAge(s.ageMs), left, s.costSoFarUsd === null ? '?' : `$${s.costSoFarUsd.toFixed(4)}`, check];
}

/** The row of a DELETE_FAILED stack, with why its last deletion failed and the command that finishes it. */
async function withDeletionFailure(session: AwsSession, stack: Stack, row: LabStatus, aws: AwsOptions): Promise<LabStatus> {
  const command = ['doplab destroy', row.lab, '--region', row.region, ...(aws.profile ? ['--profile', aws.profile] : []), ...(session.endpointUrl ? ['--endpoint-url', session.endpointUrl] : [])].join(' ');
  try {
    const failures = stack.StackId ? await lastDeletionFailures(session.readOnlyClient(CloudFormationClient, row.region), stack.StackId) : [];
    return { ...row, deletionFailed: { failures, command } };
  } catch (error) {
    // The failed deletion must still be shown when its reasons cannot be read.
    return { ...row, deletionFailed: { failures: [], command, eventsUnreadable: error instanceof Error ? error.message : String(error) } };
  }
}

/** `doplab status`: the doplab labs deployed in this account (this region, or every region). */
export async function statusCommand(
  aws: AwsOptions,
  io: Io,
  options: StatusOptions = {},
  deps: { readonly session?: AwsSession; readonly now?: () => number; readonly env?: NodeJS.ProcessEnv; readonly labs?: readonly AnyLab[] } = {},
): Promise<number> {
  const session = deps.session ?? new AwsSession(aws);
  try {
    const identity = await whoAmI(session);
    const labs = deps.labs ?? (require('../registry') as typeof import('../registry')).allLabs();
    const regions = options.allRegions ? await partitionRegions(session, identity.region) : [identity.region];
    const passed = readState(deps.env).passedChecks;
    const now = (deps.now ?? Date.now)();
    const skipped: string[] = [];
    const perRegion = await Promise.all(
      regions.map(async (region) => {
        try {
          return await listDoplabStacks(session, region);
        } catch (error) {
          // Opt-in regions the account has not enabled reject the credentials; say so instead of failing.
          if (options.allRegions && error instanceof DoplabError && (error.code === 'NO_CREDENTIALS' || error.code === 'REGION_DISABLED')) {
            skipped.push(region);
            return [];
          }
          throw error;
        }
      }),
    );
    const listed = perRegion.flatMap((stacks, i) => stacks.map((s) => ({ stack: s, row: labStatus(s, regions[i], labs, passed, identity.account, now) })));
    const rows = await Promise.all(
      listed.filter((l): l is { stack: Stack; row: LabStatus } => !!l.row).map(async ({ stack, row }) => (row.stackStatus === 'DELETE_FAILED' ? withDeletionFailure(session, stack, row, aws) : row)),
    );
    if (options.json) {
      io.out(JSON.stringify({ account: identity.account, regions, skippedRegions: skipped, labs: rows }, null, 2));
      return ExitCode.OK;
    }
    const where = options.allRegions ? `${regions.length - skipped.length} regions` : identity.region;
    if (rows.length === 0) {
      io.out(`No doplab labs deployed in account ${identity.account}, ${where}.`);
    } else {
      const table = [['lab', 'region', 'status', 'age', 'expires in', 'cost so far', 'check'], ...rows.map(row)];
      const widths = table[0].map((_, c) => Math.max(...table.map((r) => r[c].length)));
      io.out(`doplab labs in account ${identity.account}, ${where}:`);
      for (const r of table) io.out(`  ${r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd()}`);
      const total = rows.reduce((sum, r) => sum + (r.costSoFarUsd ?? 0), 0);
      io.out(`Estimated cost so far: $${total.toFixed(4)} (hours deployed × each lab's cost per hour).`);
      const c = createColors(io.color);
      for (const r of rows.filter((row) => row.deletionFailed)) {
        const failed = r.deletionFailed as DeletionFailed;
        const when = r.expired && r.msLeft !== null ? ` expired ${formatAge(-r.msLeft)} ago, but` : ':';
        io.out('');
        io.out(c.red(c.bold(`DELETION FAILED: ${r.lab} in ${r.region}${when} CloudFormation could not delete it; nothing retries that, and it keeps costing until you finish it.`)));
        if (failed.eventsUnreadable) io.out(`  Could not read the stack events: ${failed.eventsUnreadable}`);
        else if (failed.failures.length === 0) io.out('  CloudFormation gave no resource-level reason (see the stack events in the console).');
        for (const f of failed.failures) io.out(`  ${describeFailure(f)}`);
        io.out(`  Run: ${failed.command}`);
      }
    }
    if (skipped.length) io.err(`Skipped ${skipped.length} region(s) not enabled for this account: ${skipped.join(', ')}.`);
    return ExitCode.OK;
  } finally {
    if (!deps.session) session.destroy();
  }
}
