import { join } from 'node:path';
import { CustomResource, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { LAB_TAG_KEY } from '../contract';
import { InlineResources } from './inline-resources';

const HANDLER_FILE = join(__dirname, 'secure-string.handler.js');

/** Properties of a SecureStringParameter. */
export interface SecureStringParameterProps {
  /** The lab the parameter belongs to (tagged `doplab:lab=<id>`). */
  readonly labId: string;
  /** The parameter's name, a path starting with `/`. */
  readonly parameterName: string;
  /** What the random value starts with; 40 random hex digits follow. @default none */
  readonly valuePrefix?: string;
  readonly description: string;
}

/**
 * A SecureString parameter with a random value, made by the stack's inline resource function (InlineResources) (CloudFormation creates no
 * SecureString parameters): PutParameter on create, DeleteParameter on delete, the default aws/ssm key so readers
 * need no KMS grant. The value never appears in the template.
 */
export class SecureStringParameter extends Construct {
  readonly parameterName: string;
  /** The parameter's ARN, `arn:<partition>:ssm:<region>:<account>:parameter/<name without its leading slash>`. */
  readonly parameterArn: string;
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: SecureStringParameterProps) {
    super(scope, id);
    if (!/^\/[\w./-]+$/.test(props.parameterName)) {
      throw new Error(`SecureStringParameter ${this.node.path}: name "${props.parameterName}" must be a path of letters, digits, _ . - and /, starting with /.`);
    }
    this.parameterName = props.parameterName;
    this.parameterArn = Stack.of(this).formatArn({ service: 'ssm', resource: 'parameter', resourceName: props.parameterName.slice(1) });
    // PutParameter with tags needs ssm:AddTagsToResource too.
    const serviceToken = InlineResources.of(this, props.labId).register('Custom::DopLabSecureString', HANDLER_FILE, [
      new iam.PolicyStatement({ actions: ['ssm:PutParameter', 'ssm:AddTagsToResource', 'ssm:DeleteParameter'], resources: [this.parameterArn] }),
    ]);
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken,
      resourceType: 'Custom::DopLabSecureString',
      properties: {
        Name: props.parameterName,
        Prefix: props.valuePrefix ?? '',
        Description: props.description,
        Tags: JSON.stringify({ [LAB_TAG_KEY]: props.labId }),
      },
      serviceTimeout: Duration.seconds(150),
    });
  }
}

