import { join } from 'node:path';
import {
  ConfigServiceClient,
  DescribeConfigurationRecordersCommand,
  DescribeConfigurationRecorderStatusCommand,
  DescribeDeliveryChannelsCommand,
  type ConfigurationRecorder,
  type RecordingGroup,
} from '@aws-sdk/client-config-service';
import { checker } from '../../checkers/config-remediation';
import { DoplabError } from '../../lib/errors';
import { defineLab, type PreflightContext, type PreflightResult } from '../../lib/lab';
import { CONTEXT_CREATE_RECORDER, LAB_ID, RECORDER_NAME, RESOURCE_TYPE } from './contract';

/** Whether a recorder's recording group includes `resourceType`. */
export function recordsType(group: RecordingGroup | undefined, resourceType: string): boolean {
  // A recorder without a recording group records every supported type.
  if (!group) return true;
  const strategy = group.recordingStrategy?.useOnly;
  if (strategy === 'EXCLUSION_BY_RESOURCE_TYPES') return !(group.exclusionByResourceTypes?.resourceTypes ?? []).some((t) => t === resourceType);
  if (strategy === 'ALL_SUPPORTED_RESOURCE_TYPES' || (strategy === undefined && group.allSupported)) return true;
  return (group.resourceTypes ?? []).some((t) => t === resourceType);
}

function stop(message: string, hint: string): DoplabError {
  return new DoplabError('DEPLOY_FAILED', 'environment', message, { hint });
}

/**
 * Only one customer managed configuration recorder may exist per account and region (service-linked recorders,
 * made by other AWS services, do not count). The lab reuses the account's recorder when it records S3 buckets and
 * runs, and creates its own (S3 buckets only) when there is none; it never changes or deletes one it did not create.
 */
export async function preflight(ctx: PreflightContext): Promise<PreflightResult> {
  const cfg = ctx.client(ConfigServiceClient);
  const [recorders, statuses, channels] = await Promise.all([
    cfg.send(new DescribeConfigurationRecordersCommand({})),
    cfg.send(new DescribeConfigurationRecorderStatusCommand({})),
    cfg.send(new DescribeDeliveryChannelsCommand({})),
  ]);
  const own = (recorders.ConfigurationRecorders ?? []).filter((r: ConfigurationRecorder) => !r.servicePrincipal);
  const create = { context: { [CONTEXT_CREATE_RECORDER]: 'true' } };
  const recorder = own[0];

  if (!recorder || recorder.name === RECORDER_NAME) {
    const channel = (channels.DeliveryChannels ?? [])[0];
    if (!recorder && channel) {
      throw stop(
        `AWS Config in ${ctx.region} has a delivery channel "${channel.name}" but no configuration recorder; the lab cannot add a second channel.`,
        `Create and start a recorder that uses it (then deploy again to reuse it), or delete the channel: aws configservice delete-delivery-channel --delivery-channel-name ${channel.name}`,
      );
    }
    return {
      ...create,
      notes: [
        recorder
          ? `Keeping the lab's own AWS Config recorder ${RECORDER_NAME} from an earlier deploy.`
          : `No AWS Config recorder in ${ctx.region}: the lab creates recorder ${RECORDER_NAME} (S3 buckets only), a delivery channel and its bucket; destroy removes them.`,
      ],
    };
  }

  const name = recorder.name ?? 'default';
  if (!recordsType(recorder.recordingGroup, RESOURCE_TYPE)) {
    throw stop(
      `The account's AWS Config recorder "${name}" in ${ctx.region} does not record ${RESOURCE_TYPE}, so the lab's rule would never evaluate its buckets.`,
      `Add ${RESOURCE_TYPE} to the recorder's recording group (the lab does not change a recorder it does not own), then deploy again.`,
    );
  }
  const status = (statuses.ConfigurationRecordersStatus ?? []).find((s) => s.name === recorder.name);
  if (!status?.recording) {
    const hasChannel = (channels.DeliveryChannels ?? []).length > 0;
    throw stop(
      `The account's AWS Config recorder "${name}" in ${ctx.region} is stopped${hasChannel ? '' : ' and has no delivery channel'}, so the lab's rule would never evaluate.`,
      hasChannel
        ? `Start it (aws configservice start-configuration-recorder --configuration-recorder-name ${name}), then deploy again.`
        : 'Give it a delivery channel and start it, or delete the unused recorder so that the lab creates its own; then deploy again.',
    );
  }
  const daily = recorder.recordingMode?.recordingFrequency === 'DAILY' ||
    (recorder.recordingMode?.recordingModeOverrides ?? []).some((o) => o.recordingFrequency === 'DAILY' && (o.resourceTypes ?? []).some((t) => t === RESOURCE_TYPE));
  return {
    context: { [CONTEXT_CREATE_RECORDER]: 'false' },
    notes: [
      `Reusing the account's AWS Config recorder "${name}" in ${ctx.region}; the lab neither changes nor deletes it.`,
      ...(daily ? [`Recorder "${name}" records ${RESOURCE_TYPE} daily: evaluations of the lab's buckets may take up to a day.`] : []),
    ],
  };
}

export const lab = defineLab({
  id: LAB_ID,
  title: 'Remediate non-compliant resources automatically with AWS Config and SSM Automation',
  summary:
    'An AWS Config rule flags two S3 buckets without versioning; attach an automatic SSM Automation remediation with a least-privilege role and get them COMPLIANT.',
  taskStatements: ['5.2', '4.3', '6.2'],
  difficulty: 'intermediate',
  minutes: 45,
  deployMinutes: 3,
  cost: {
    usdPerHour: 0.06401,
    pricing: 'us-east-1 on-demand list prices (AWS Config, Systems Manager Automation, S3), read 2026-11; free tiers ignored; one-off charges of a ~1 h lab counted in its hour',
    items: [
      {
        resource: 'AWS Config configuration items (~12: 2–3 buckets created, tagged, policy set, versioning remediated)',
        usdPerHour: 0.036,
        basis: '12 × $0.003 per configuration item recorded (continuous recording); the lab recorder records AWS::S3::Bucket only',
      },
      {
        resource: 'AWS Config rule evaluations (~20: initial, on each bucket change, re-evaluations)',
        usdPerHour: 0.02,
        basis: '20 × $0.001 per rule evaluation (first 100,000 per month)',
      },
      {
        resource: 'SSM Automation remediation runs (2 buckets, ~2 steps each, retries aside)',
        usdPerHour: 0.008,
        basis: '4 basic steps × $0.002 per step (accounts new to Automation since 2025-08-14 have no free tier)',
      },
      {
        resource: 'S3 delivery bucket (a few configuration history objects)',
        usdPerHour: 0.00001,
        basis: '~2 PUT requests × $0.005/1,000; storage of a few KB negligible',
      },
      {
        resource: 'AWS Config rule, buckets without data, IAM roles, cleanup function',
        usdPerHour: 0,
        basis: 'a rule costs only its evaluations; empty buckets and roles are free; the cleanup function runs once at create and once at delete',
      },
    ],
  },
  instructions: join(__dirname, 'README.md'),
  examples: {
    starting: join(__dirname, 'facts', 'starting.json'),
    solved: join(__dirname, 'facts', 'solved.json'),
  },
  checker,
  preflight,
  // No context is what plain `cdk deploy` gets, and the same stack as preflight's "false".
  stackContexts: [{}, { [CONTEXT_CREATE_RECORDER]: 'true' }],
  // Typed requires, loaded on demand: `check` never loads aws-cdk-lib.
  loadStack: async (): Promise<typeof import('./stack')> => require('./stack'),
  leftovers: async (ctx) => (require('./leftovers') as typeof import('./leftovers')).leftovers(ctx),
  loadSolution: async () => (require('./solution') as typeof import('./solution')).solve,
});
