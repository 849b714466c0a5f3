// The IAM action an AWS SDK command is authorized as. Mostly `<prefix>:<command without "Command">`
// (lib/aws/clients.ts iamAction); the exceptions are the API operations IAM authorizes under another action.
import { iamAction } from '../aws/clients';

/** Operations IAM authorizes as another action (Service Authorization Reference, "Actions" tables and notes). */
export const ACTION_EXCEPTIONS: Readonly<Record<string, string>> = {
  's3:ListObjectsV2': 's3:ListBucket',
  's3:ListObjects': 's3:ListBucket',
  's3:ListObjectVersions': 's3:ListBucketVersions',
  's3:HeadBucket': 's3:ListBucket',
  's3:HeadObject': 's3:GetObject',
  's3:DeleteObjects': 's3:DeleteObject',
  's3:CopyObject': 's3:PutObject',
  's3:CreateMultipartUpload': 's3:PutObject',
  's3:UploadPart': 's3:PutObject',
  's3:CompleteMultipartUpload': 's3:PutObject',
};

/**
 * The IAM action of one SDK call. A `DeleteObjects` or `DeleteObject` that deletes versions (VersionId set) also
 * needs `s3:DeleteObjectVersion`: `extra` lists it, and always does when the input is unknown (`undefined`).
 */
export function sdkCallAction(clientName: string, commandName: string, input?: object): { action: string; extra: string[] } {
  const raw = iamAction(clientName, commandName);
  const action = ACTION_EXCEPTIONS[raw] ?? raw;
  const extra: string[] = [];
  if (raw === 's3:DeleteObjects') {
    const objects = (input as { Delete?: { Objects?: { VersionId?: string }[] } } | undefined)?.Delete?.Objects ?? [];
    if (input === undefined || objects.some((o) => o.VersionId !== undefined)) extra.push('s3:DeleteObjectVersion');
  }
  if (raw === 's3:DeleteObject' && (input === undefined || (input as { VersionId?: string }).VersionId !== undefined)) extra.push('s3:DeleteObjectVersion');
  return { action, extra };
}
