// The lab's deploy preflight: decides whether the stack creates an AWS Config recorder. Loaded only by deploy.
import {
  ConfigServiceClient,
  DescribeConfigurationRecordersCommand,
  DescribeConfigurationRecorderStatusCommand,
  DescribeDeliveryChannelsCommand,
  type ConfigurationRecorder,
  type RecordingGroup,
} from '@aws-sdk/client-config-service';
import { DoplabError } from '../../lib/errors';
import type { PreflightContext, PreflightResult } from '../../lib/lab';
import { CONTEXT_CREATE_RECORDER, RECORDER_NAME, RESOURCE_TYPE } from './contract';

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

