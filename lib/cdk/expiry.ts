import { Aws, CfnOutput, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CfnSchedule } from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { EXPIRES_AT_CONTEXT, EXPIRES_AT_OUTPUT } from './base-names';

export { EXPIRES_AT_CONTEXT, EXPIRES_AT_OUTPUT };

/** EventBridge Scheduler's universal target for CloudFormation DeleteStack, in `partition` (default: the stack's). */
export function deleteStackTarget(partition: string = Aws.PARTITION): string {
  return `arn:${partition}:scheduler:::aws-sdk:cloudformation:deleteStack`;
}

/** `at(2026-11-23T17:00:00)`: a one-time schedule expression, to the second, from an ISO 8601 instant. */
export function atExpression(expiresAt: Date): string {
  return `at(${expiresAt.toISOString().slice(0, 19)})`;
}

/** Reads the expiry instant from context; a malformed value is an error naming the key. */
export function expiresAtFromContext(scope: Construct): Date | undefined {
  const raw: unknown = scope.node.tryGetContext(EXPIRES_AT_CONTEXT);
  if (raw === undefined || raw === '' || raw === 'none') return undefined;
  const date = new Date(String(raw));
  if (Number.isNaN(date.getTime())) {
    throw new Error(`Context ${EXPIRES_AT_CONTEXT} must be an ISO 8601 instant such as 2026-11-23T17:00:00Z; got "${String(raw)}".`);
  }
  return date;
}

/**
 * A one-time EventBridge Scheduler schedule that deletes its own stack at `expiresAt` by calling
 * CloudFormation DeleteStack (universal target, no Lambda). Its role may call exactly that, on this stack
 * only: CloudFormation then deletes with the stack's service role (DopLab-Base), which the schedule's
 * role need not be allowed to pass, so the in-stack cleanup runs exactly as for `doplab destroy`.
 */
export class ExpirySchedule extends Construct {
  readonly schedule: CfnSchedule;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: { readonly expiresAt: Date }) {
    super(scope, id);
    const stack = Stack.of(this);
    this.role = new iam.Role(this, 'Role', {
      description: `Lets EventBridge Scheduler delete ${stack.stackName} when it expires.`,
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
      inlinePolicies: {
        DeleteThisStack: new iam.PolicyDocument({
          statements: [new iam.PolicyStatement({ actions: ['cloudformation:DeleteStack'], resources: [Aws.STACK_ID] })],
        }),
      },
    });
    // No ActionAfterCompletion: AWS::Scheduler::Schedule has no such property (the API does); the
    // schedule is a resource of the stack it deletes, so CloudFormation removes it anyway.
    this.schedule = new CfnSchedule(this, 'Schedule', {
      description: `Deletes ${stack.stackName} at ${props.expiresAt.toISOString()} (doplab deploy --ttl).`,
      scheduleExpression: atExpression(props.expiresAt),
      scheduleExpressionTimezone: 'UTC',
      flexibleTimeWindow: { mode: 'OFF' },
      state: 'ENABLED',
      target: {
        arn: deleteStackTarget(),
        roleArn: this.role.roleArn,
        input: stack.toJsonString({ StackName: Aws.STACK_ID }),
        // DeleteStack is refused while an update is in progress; keep trying for a day.
        retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86_400 },
      },
    });
    new CfnOutput(stack, EXPIRES_AT_OUTPUT, { value: props.expiresAt.toISOString(), description: 'When the expiry schedule deletes this stack.' }).overrideLogicalId(
      EXPIRES_AT_OUTPUT,
    );
  }
}
