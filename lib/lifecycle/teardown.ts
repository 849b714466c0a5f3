import {
  CloudFormationClient,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ListStackResourcesCommand,
  type Stack,
  type StackEvent,
} from '@aws-sdk/client-cloudformation';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import type { AwsSession } from '../aws/clients';
import { awsErrorMessage, awsErrorName } from '../aws/errors';
import { LAB_TAG_KEY } from '../contract';
import { formatDuration } from '../duration';
import { DoplabError } from '../errors';
import type { Io } from '../io';
import type { Lab, Leftover, StackSnapshot } from '../lab';
import { labRegions } from '../lab';
import { describeFailure, lastDeletionFailures, type ResourceFailure } from './stacks';

export { describeFailure, type ResourceFailure } from './stacks';
import { confirmTagHits, confirmerActions, type Dismissed } from './leftover-confirmers';

/** Waiting knobs; tests shorten them. */
export interface WaitOptions {
  /** Pause between polls. @default 5000 */
  readonly pollMs?: number;
  /** Give up waiting after this long. @default 45 min */
  readonly timeoutMs?: number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly now?: () => number;
  /** Aborted by Ctrl-C: stop waiting (CloudFormation carries on). */
  readonly signal?: AbortSignal;
}

/** A sleep that ends early when `signal` aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}


/** What deleting a stack did. */
export interface StackDeletion {
  /** False when there was no stack to delete (never deployed, or already deleted). */
  readonly existed: boolean;
  /** DeleteStack calls sent (2 when the first attempt ended DELETE_FAILED). */
  readonly attempts: number;
  /** Failures of the first attempt, if it failed. */
  readonly firstAttemptFailures: readonly ResourceFailure[];
  /** The stack's resources when deletion started, i.e. what it removed. */
  readonly removed: readonly { readonly type: string; readonly physicalId: string }[];
  /** The stack's outputs and creation time when deletion started, for the leftover audit; absent when it did not exist. */
  readonly stack?: StackSnapshot;
}

async function describeStack(cfn: CloudFormationClient, stackName: string): Promise<Stack | undefined> {
  try {
    const stack = (await cfn.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0];
    return stack?.StackStatus === 'DELETE_COMPLETE' ? undefined : stack;
  } catch (error) {
    // CloudFormation says "Stack with id X does not exist" as a ValidationError.
    if (awsErrorName(error) === 'ValidationError' && /does not exist/.test(awsErrorMessage(error))) return undefined;
    throw error;
  }
}

/** The resources whose deletion failed since `since`, oldest first (the first is usually the cause). */
export async function failedResources(cfn: CloudFormationClient, stackId: string, since: Date): Promise<ResourceFailure[]> {
  const events: StackEvent[] = (await cfn.send(new DescribeStackEventsCommand({ StackName: stackId }))).StackEvents ?? [];
  return events
    .filter((e) => e.ResourceStatus === 'DELETE_FAILED' && e.ResourceType !== 'AWS::CloudFormation::Stack' && (e.Timestamp ?? since) >= since)
    .reverse()
    .map((e) => ({ logicalId: e.LogicalResourceId ?? '?', type: e.ResourceType ?? '?', reason: e.ResourceStatusReason ?? 'no reason given' }));
}


async function waitForDeletion(
  cfn: CloudFormationClient,
  stackId: string,
  stackName: string,
  io: Io,
  wait: WaitOptions,
  events: { readonly since: Date; readonly seen: Set<string> },
): Promise<string> {
  const now = wait.now ?? Date.now;
  const sleep = wait.sleep ?? abortableSleep;
  const started = now();
  const deadline = started + (wait.timeoutMs ?? 45 * 60_000);
  for (;;) {
    const stack = await describeStack(cfn, stackId);
    const status = stack?.StackStatus ?? 'DELETE_COMPLETE';
    await printNewEvents(cfn, stackId, events.since, events.seen, io, () => formatDuration(now() - started));
    if (status === 'DELETE_COMPLETE' || status === 'DELETE_FAILED') return status;
    if (wait.signal?.aborted) {
      throw new DoplabError('INTERRUPTED', 'environment', `Stopped waiting: CloudFormation keeps deleting ${stackName} (${status}).`, {
        hint: 'Run the same doplab destroy again to wait for it and audit what is left.',
      });
    }
    if (now() > deadline) {
      throw new DoplabError('DESTROY_FAILED', 'environment', `${stackName} is still ${status} after ${formatDuration(now() - started)}.`, {
        hint: 'Look at the stack events in the CloudFormation console, then run doplab destroy again.',
      });
    }
    await sleep(wait.pollMs ?? 5000, wait.signal);
  }
}

/** Progress while CloudFormation deletes: one line per new resource event, oldest first, with the time elapsed. */
async function printNewEvents(cfn: CloudFormationClient, stackId: string, since: Date, seen: Set<string>, io: Io, elapsed: () => string): Promise<void> {
  const events = (await cfn.send(new DescribeStackEventsCommand({ StackName: stackId }))).StackEvents ?? [];
  for (const e of [...events].reverse()) {
    if (!e.EventId || seen.has(e.EventId) || (e.Timestamp ?? since) < since) continue;
    seen.add(e.EventId);
    const reason = /FAILED/.test(e.ResourceStatus ?? '') && e.ResourceStatusReason ? `  ${e.ResourceStatusReason}` : '';
    io.err(`  ${(e.ResourceStatus ?? '').padEnd(20)} ${(e.ResourceType ?? '').padEnd(32)} ${e.LogicalResourceId ?? ''}  ${elapsed()}${reason}`);
  }
}

/**
 * Deletes a stack and waits: its in-stack cleanup runs first (DESIGN §7). On DELETE_FAILED it names the
 * failing resources and tries once more. A stack that does not exist is a clean success, so running it
 * twice, or on a lab never deployed, is safe. CloudFormation deletes with the stack's own service role.
 */
export async function deleteStack(session: AwsSession, stackName: string, region: string, io: Io, wait: WaitOptions = {}): Promise<StackDeletion> {
  const cfn = session.client(CloudFormationClient, region);
  const stack = await describeStack(cfn, stackName);
  if (!stack?.StackId) return { existed: false, attempts: 0, firstAttemptFailures: [], removed: [] };
  // The stack id, not the name: a retry never touches a newer stack of the same name.
  const stackId = stack.StackId;
  const removed = await stackResources(cfn, stackId);
  const snapshot = snapshotOf(stack);
  if (stack.StackStatus === 'DELETE_FAILED') {
    // Left so by an earlier deletion (the expiry schedule's, or a destroy that gave up): say why, then finish it.
    const earlier = (await lastDeletionFailures(cfn, stackId))[0];
    io.err(`  ${stackName} was left DELETE_FAILED by an earlier deletion${earlier ? ` (${describeFailure(earlier)})` : ''}; deleting it again.`);
  }
  let firstAttemptFailures: ResourceFailure[] = [];
  const seenEvents = new Set<string>();
  for (let attempt = 1; ; attempt++) {
    const since = new Date((wait.now ?? Date.now)() - 1000);
    await cfn.send(new DeleteStackCommand({ StackName: stackId }));
    const status = await waitForDeletion(cfn, stackId, stackName, io, wait, { since, seen: seenEvents });
    if (status === 'DELETE_COMPLETE') return { existed: true, attempts: attempt, firstAttemptFailures, removed, stack: snapshot };
    const failures = await failedResources(cfn, stackId, since);
    const first = failures[0] ? describeFailure(failures[0]) : 'CloudFormation gave no resource-level reason';
    if (attempt === 2) {
      throw new DoplabError('DESTROY_FAILED', 'environment', `${stackName} in ${region} is DELETE_FAILED twice; first failing resource: ${first}`, {
        hint: 'Fix what the reason names (the CloudFormation console shows the stack events), then run doplab destroy again.',
      });
    }
    firstAttemptFailures = failures;
    io.err(`  ${stackName} is DELETE_FAILED: ${first}. Trying once more.`);
  }
}

function snapshotOf(stack: Stack): StackSnapshot {
  const outputs: Record<string, string> = {};
  for (const o of stack.Outputs ?? []) if (o.OutputKey && o.OutputValue !== undefined) outputs[o.OutputKey] = o.OutputValue;
  return { outputs, createdAt: stack.CreationTime };
}

async function stackResources(cfn: CloudFormationClient, stackId: string): Promise<StackDeletion['removed']> {
  const resources: { type: string; physicalId: string }[] = [];
  let token: string | undefined;
  do {
    const page = await cfn.send(new ListStackResourcesCommand({ StackName: stackId, NextToken: token }));
    for (const r of page.StackResourceSummaries ?? []) {
      if (r.PhysicalResourceId && r.ResourceStatus !== 'DELETE_COMPLETE') resources.push({ type: r.ResourceType ?? '?', physicalId: r.PhysicalResourceId });
    }
    token = page.NextToken;
  } while (token);
  return resources;
}

/**
 * The read-only actions the leftover audit itself calls: the tagging API and the confirmations of its hits
 * (each lab's declared leftovers call their own on top). Tests prove every confirmer sends exactly its share.
 */
export function leftoverAuditActions(): string[] {
  return ['tag:GetResources', ...confirmerActions()].sort();
}

/** What is left of a lab after its stack is gone. */
export interface AuditResult {
  readonly leftovers: readonly Leftover[];
  /** Resources the tagging API still listed that their own service says are gone (or INACTIVE): not leftovers. */
  readonly dismissed: readonly Dismissed[];
  /** The regions searched. */
  readonly regions: readonly string[];
}

/**
 * The leftover audit (DESIGN §7): every resource tagged `doplab:lab=<id>` in every region the lab
 * touches (Resource Groups Tagging API), each confirmed with its own service's read API (a deleted
 * resource stays listed for a while, an INACTIVE task definition forever: lib/lifecycle/leftover-confirmers.ts),
 * plus the lab's declared implicit leftovers. What is left is re-checked `settleRetries` times before it counts. `stack` is the stack as read before deletion: its outputs can
 * name regions and resources the lab's own audit needs (absent when there was no stack to delete).
 */
export async function leftoverAudit(
  session: AwsSession,
  lab: Pick<Lab, 'id' | 'regions' | 'leftovers'>,
  where: { readonly account: string; readonly region: string },
  options: { readonly settleRetries?: number; readonly settleMs?: number; readonly sleep?: (ms: number) => Promise<void>; readonly io?: Io; readonly stack?: StackSnapshot } = {},
): Promise<AuditResult> {
  const regions = labRegions(lab, where.region, options.stack?.outputs);
  const retries = options.settleRetries ?? 2;
  const sleep = options.sleep ?? ((ms: number) => abortableSleep(ms));
  for (let round = 0; ; round++) {
    const { leftovers, dismissed } = await auditOnce(session, lab, where, regions, options.stack);
    if (leftovers.length === 0 || round >= retries) return { leftovers, dismissed, regions };
    options.io?.err(`  ${leftovers.length} resource(s) still there; deletions can take a moment to show, re-checking in ${formatDuration(options.settleMs ?? 20_000)}.`);
    await sleep(options.settleMs ?? 20_000);
  }
}

async function auditOnce(
  session: AwsSession,
  lab: Pick<Lab, 'id' | 'leftovers'>,
  where: { readonly account: string; readonly region: string },
  regions: readonly string[],
  stack: StackSnapshot | undefined,
): Promise<{ leftovers: Leftover[]; dismissed: readonly Dismissed[] }> {
  const tagged = await Promise.all(
    regions.map(async (region) => {
      const tagging = session.readOnlyClient(ResourceGroupsTaggingAPIClient, region);
      const found: Leftover[] = [];
      let token: string | undefined;
      do {
        const page = await tagging.send(
          new GetResourcesCommand({ TagFilters: [{ Key: LAB_TAG_KEY, Values: [lab.id] }], PaginationToken: token }),
        );
        for (const r of page.ResourceTagMappingList ?? []) {
          if (r.ResourceARN) found.push({ resource: r.ResourceARN, region, reason: `tagged ${LAB_TAG_KEY}=${lab.id}` });
        }
        token = page.PaginationToken || undefined;
      } while (token);
      return found;
    }),
  );
  const listed = new Set<string>();
  const hits = tagged.flat().filter((l) => !listed.has(l.resource) && listed.add(l.resource));
  const confirmed = await confirmTagHits(hits, (ctor, region) => session.readOnlyClient(ctor, region));
  const declared = lab.leftovers
    ? await lab.leftovers({ account: where.account, region: where.region, regions, stack, client: (ctor, region) => session.readOnlyClient(ctor, region ?? where.region) })
    : [];
  const seen = new Set<string>();
  return { leftovers: [...confirmed.kept, ...declared].filter((l) => !seen.has(l.resource) && seen.add(l.resource)), dismissed: confirmed.dismissed };
}
