import { App, LegacyStackSynthesizer } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CfnQueue } from 'aws-cdk-lib/aws-sqs';
import { DopLabStack } from '../../../lib/cdk/lab-stack';

const Outputs = { bucketName: 'BucketName', queueUrl: 'QueueUrl' } as const;

function labStack(): DopLabStack {
  const stack = new DopLabStack(new App(), 'demo-lab', 'doplab lab demo-lab');
  new CfnQueue(stack, 'Queue');
  return stack;
}

describe('DopLabStack', () => {
  it('is named DopLab-<lab id> and deploys without bootstrap', () => {
    const stack = labStack();
    expect(stack.stackName).toBe('DopLab-demo-lab');
    expect(stack.node.id).toBe('DopLab-demo-lab');
    expect(stack.synthesizer).toBeInstanceOf(LegacyStackSynthesizer);
    const template = Template.fromStack(stack).toJSON();
    expect(template.Description).toBe('doplab lab demo-lab');
    // The default synthesizer would add a BootstrapVersion parameter and a CheckBootstrapVersion rule.
    expect(template.Parameters).toBeUndefined();
    expect(template.Rules).toBeUndefined();
  });

  it('tags every resource doplab:lab=<lab id>', () => {
    Template.fromStack(labStack()).hasResourceProperties('AWS::SQS::Queue', { Tags: [{ Key: 'doplab:lab', Value: 'demo-lab' }] });
  });

  it('exports one output per contract key, with the contract output id as logical id', () => {
    const stack = labStack();
    stack.exportOutputs(Outputs, { bucketName: 'my-bucket', queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/q' });
    expect(Template.fromStack(stack).toJSON().Outputs).toEqual({
      BucketName: { Value: 'my-bucket' },
      QueueUrl: { Value: 'https://sqs.us-east-1.amazonaws.com/123456789012/q' },
    });
  });

  it('makes a missing output a compile error (and a synth error for untyped callers)', () => {
    const stack = labStack();
    // @ts-expect-error -- queueUrl is missing
    expect(() => stack.exportOutputs(Outputs, { bucketName: 'my-bucket' })).toThrow('Missing value for CloudFormation output');
  });

  it('refuses an output id CloudFormation would reject', () => {
    expect(() => labStack().exportOutputs({ name: 'Bucket-Name' } as const, { name: 'b' })).toThrow(
      'Output id "Bucket-Name" of DopLab-demo-lab must be alphanumeric (a CloudFormation logical id).',
    );
  });
});
