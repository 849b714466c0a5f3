import { join } from 'node:path';
import { CustomResource, Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { InlineResources } from './inline-resources';

const HANDLER_FILE = join(__dirname, 'seeded-source.handler.js');

/** Properties of a SeededSource. */
export interface SeededSourceProps {
  /** The lab the source belongs to. */
  readonly labId: string;
  /** The bucket the zip is written to; whoever owns it empties it (the zip is not deleted with the resource). */
  readonly bucket: s3.IBucket;
  /** The object key, e.g. `source.zip`. */
  readonly key: string;
  /** The files of the zip: path inside the zip → UTF-8 content. They travel in the template: keep them small, and secret-free. */
  readonly files: Readonly<Record<string, string>>;
}

/**
 * A zip of a few text files written to S3 at deploy time by the stack's inline resource function (InlineResources) (a stored, uncompressed zip:
 * no assets, no bootstrap), e.g. the source of a pipeline. Depend on `resource` to find the object in place;
 * changing `files` writes a new version.
 */
export class SeededSource extends Construct {
  readonly resource: CustomResource;
  /** The S3 version id of the object written (`null` in an unversioned bucket). */
  readonly versionId: string;

  constructor(scope: Construct, id: string, props: SeededSourceProps) {
    super(scope, id);
    if (Object.keys(props.files).length === 0) throw new Error(`SeededSource ${this.node.path} needs at least one file.`);
    const serviceToken = InlineResources.of(this, props.labId).register('Custom::DopLabSeededSource', HANDLER_FILE, [
      new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [props.bucket.arnForObjects(props.key)] }),
    ]);
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken,
      resourceType: 'Custom::DopLabSeededSource',
      properties: { Bucket: props.bucket.bucketName, Key: props.key, Files: JSON.stringify(props.files) },
      serviceTimeout: Duration.seconds(150),
    });
    this.versionId = this.resource.getAttString('VersionId');
  }
}
