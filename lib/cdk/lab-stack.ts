import { CfnOutput, LegacyStackSynthesizer, Stack, Tags } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { LAB_TAG_KEY, stackNameFor, type OutputKeys, type StackOutputs } from '../contract';
import { ExpirySchedule, expiresAtFromContext } from './expiry';

/** The base of every lab's stack: named `DopLab-<lab id>`, tagged `doplab:lab=<id>`, deployable without `cdk bootstrap`. */
export class DopLabStack extends Stack {
  /** The lab this stack belongs to. */
  readonly labId: string;

  constructor(scope: Construct, labId: string, description: string) {
    super(scope, stackNameFor(labId), {
      stackName: stackNameFor(labId),
      description,
      // No bootstrap stack, no staging bucket: the template is uploaded directly and holds all Lambda code inline.
      synthesizer: new LegacyStackSynthesizer(),
    });
    this.labId = labId;
    Tags.of(this).add(LAB_TAG_KEY, labId);
    // Only with context (doplab deploy --ttl): plain `cdk deploy` gets no schedule.
    const expiresAt = expiresAtFromContext(this);
    if (expiresAt) new ExpirySchedule(this, 'DopLabExpiry', { expiresAt });
  }

  /** Declares one stack output per contract key, with the contract's output id as its logical id. */
  exportOutputs<K extends OutputKeys>(keys: K, values: StackOutputs<K>): void {
    for (const name of Object.keys(keys) as (keyof K & string)[]) {
      const outputId = keys[name];
      if (!/^[A-Za-z0-9]+$/.test(outputId)) {
        throw new Error(`Output id "${outputId}" of ${this.stackName} must be alphanumeric (a CloudFormation logical id).`);
      }
      new CfnOutput(this, outputId, { value: values[name] }).overrideLogicalId(outputId);
    }
  }
}
