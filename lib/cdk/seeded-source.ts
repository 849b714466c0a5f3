import { join } from 'node:path';
import { CustomResource, Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { customResourceSource, InlineFunction } from './inline-cleanup';

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
 * A zip of a few text files written to S3 at deploy time by a small inline function (a stored, uncompressed zip:
 * no assets, no bootstrap), e.g. the source of a pipeline. Depend on `resource` to find the object in place;
 * changing `files` writes a new version.
 */
export class SeededSource extends Construct {
  readonly handler: InlineFunction;
  readonly resource: CustomResource;
  /** The S3 version id of the object written (`null` in an unversioned bucket). */
  readonly versionId: string;

  constructor(scope: Construct, id: string, props: SeededSourceProps) {
    super(scope, id);
    if (Object.keys(props.files).length === 0) throw new Error(`SeededSource ${this.node.path} needs at least one file.`);
    this.handler = new InlineFunction(this, 'Writer', {
      labId: props.labId,
      name: 'source-writer',
      source: customResourceSource(HANDLER_FILE),
      description: `Writes the seeded source ${props.key} of doplab lab ${props.labId} (a stored zip) to S3.`,
      statements: [new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [props.bucket.arnForObjects(props.key)] })],
      timeout: Duration.seconds(30),
    });
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: this.handler.function.functionArn,
      resourceType: 'Custom::DopLabSeededSource',
      properties: { Bucket: props.bucket.bucketName, Key: props.key, Files: JSON.stringify(props.files) },
      serviceTimeout: Duration.seconds(150),
    });
    // The writer's permission must exist before it writes; the role's policy is inline, so the function depends on it already.
    this.resource.node.addDependency(this.handler.role);
    this.versionId = this.resource.getAttString('VersionId');
  }
}
