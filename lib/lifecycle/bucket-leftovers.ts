import { ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { awsErrorName } from '../aws/errors';
import type { Leftover, LeftoverContext } from '../lab';
import { partitionOf } from '../sdk-facts';

/**
 * The lab buckets (named by the stack outputs) that still exist, saying whether they still hold object versions.
 * Shared by the labs whose stacks own buckets their cleanup empties (config-remediation, pipeline-test-stage,
 * broken-pipeline).
 */
export async function remainingBuckets(ctx: LeftoverContext, names: readonly (string | undefined)[]): Promise<Leftover[]> {
  const s3 = ctx.client(S3Client);
  const found: Leftover[] = [];
  for (const bucket of names.filter((n): n is string => !!n)) {
    try {
      const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, MaxKeys: 1 }));
      const empty = (page.Versions ?? []).length + (page.DeleteMarkers ?? []).length === 0;
      found.push({ resource: `arn:${partitionOf(ctx.region)}:s3:::${bucket}`, region: ctx.region, reason: empty ? 'lab bucket still exists (empty)' : 'lab bucket still exists and holds object versions' });
    } catch (error) {
      if (awsErrorName(error) !== 'NoSuchBucket') throw error;
    }
  }
  return found;
}
