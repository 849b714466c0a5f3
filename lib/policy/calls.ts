// What every IAM role of a lab (and of doplab itself) must be able to call, declared next to the code
// that makes the calls. The policy proofs (test/policy/) simulate each declared call against the
// synthesized policies with AWS's own rules, so a role that AWS would deny fails `npm test`.
// No aws-cdk-lib import: declarations are plain data.
import type { PolicyDocument } from './template-policies';

/** The deployed stack's environment, from which a declared call's ARN is formed. */
export interface CallEnv {
  /** `aws`, `aws-cn` or `aws-us-gov`. */
  readonly partition: string;
  readonly account: string;
  /** The region the stack is deployed to. */
  readonly region: string;
  /** Every region the lab touches (the deploy region first). */
  readonly regions: readonly string[];
  /** `DopLab-<lab id>`. */
  readonly stackName: string;
  /** The stack's id, `arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<uuid>` (the proofs pick a uuid). */
  readonly stackId: string;
  /** The CDK context the stack was synthesized with (one of the lab's `stackContexts`). @default {} */
  readonly context?: Readonly<Record<string, string>>;
}

/** One API call a role must be able to make (or, for a scenario's intended flaw, must be refused). */
export interface DeclaredCall {
  /** The IAM action, e.g. `ecs:DeregisterTaskDefinition`. */
  readonly action: string;
  /**
   * The resource ARN exactly as the code forms it, or `*` when the action supports no resource type. Where
   * CloudFormation generates a name, write `@{<construct path>.<attribute>}` for it, e.g. `@{InvoicesBucket.Arn}/key`
   * (attribute `Ref` for what Ref returns); the proofs resolve it from the template.
   */
  readonly resource: string;
  /** Request context the call carries, e.g. `{ 'aws:RequestTag/doplab:lab': 'my-lab' }`. */
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
  /** Set when the scenario intends AWS to refuse this call (the flaw the learner fixes): why. */
  readonly deniedBecause?: string;
  /**
   * The resource policy of a target the stack does not create, as the lab's code writes it: e.g. the key policy of a
   * KMS key the learner makes (KMS honours a role's identity policy only when the key policy lets the account delegate).
   * @default the template's resource policy for `resource`, if any
   */
  readonly resourcePolicy?: PolicyDocument;
}

/** The calls of one role. */
export interface RoleCalls {
  /**
   * The role's construct path below its stack, e.g. `Cleanup/Function/ServiceRole` (what CDK writes as
   * the resource's `aws:cdk:path` metadata, without the leading `<stack name>/`).
   */
  readonly role: string;
  /** Who assumes the role and why, for messages: `in-stack cleanup handler`, `CodeBuild project orders-api-test`. */
  readonly purpose: string;
  /** The calls, as the code forms them in this environment (none when the role does not exist in `env.context`). */
  readonly calls: (env: CallEnv) => readonly DeclaredCall[];
  /**
   * For a CloudFormation execution role (a StackSets execution role, a pipeline's deploy role): the absolute path of
   * the template (JSON, or YAML in long form) CloudFormation deploys with it, in every region of `env.regions`. The
   * proofs add the calls CloudFormation makes for each of its resources (lib/policy/cfn-actions.ts). @default none
   */
  readonly deploysTemplate?: string;
}

/** A lab's `labs/<id>/calls.ts` exports `roleCalls`: one entry per role its stack creates. */
export type LabRoleCalls = readonly RoleCalls[];

/** The ARN of a log stream of an inline function's own log group `/doplab/<lab id>/lambda/<name>` (InlineFunction). */
export function functionLogStreamArn(env: CallEnv, labId: string, name: string): string {
  return `arn:${env.partition}:logs:${env.region}:${env.account}:log-group:/doplab/${labId}/lambda/${name}:log-stream:2026/11/27/[$LATEST]0123456789abcdef0123456789abcdef`;
}

/** What every InlineFunction's role does besides its own calls: write its own log group. */
export function functionLogCalls(env: CallEnv, labId: string, name: string): DeclaredCall[] {
  const stream = functionLogStreamArn(env, labId, name);
  return [
    { action: 'logs:CreateLogStream', resource: stream },
    { action: 'logs:PutLogEvents', resource: stream },
  ];
}

/** Lambda assuming an inline function's role (its trust policy), as a service principal call. */
export function lambdaAssumesRole(env: CallEnv, rolePath: string): ServicePrincipalCall {
  return { principal: 'lambda.amazonaws.com', purpose: `Lambda runs the function of ${rolePath}`, action: 'sts:AssumeRole', resource: `@{${rolePath}.Arn}`, context: { 'aws:SourceAccount': env.account } };
}

/**
 * One call an AWS service makes on a lab resource under that resource's own policy (topic, bucket, queue
 * policy, Lambda permission, role trust policy): CloudWatch alarms publishing to the alert topic, AWS Config
 * delivering to its bucket, EventBridge invoking a function, Scheduler assuming its role. The proofs simulate
 * it with the service as principal against the resource policy the template attaches to `resource`.
 */
export interface ServicePrincipalCall {
  /** The service principal, e.g. `cloudwatch.amazonaws.com`. */
  readonly principal: string;
  /** Why the lab relies on it, for messages: `the learner's alarm notifies the alert topic`. */
  readonly purpose: string;
  /** The IAM action, e.g. `sns:Publish`. */
  readonly action: string;
  /** The resource ARN (a role ARN for `sts:AssumeRole`: its trust policy is the resource policy); `@{path.Attr}` as in DeclaredCall. */
  readonly resource: string;
  /**
   * The request context the service sends, at least `aws:SourceAccount` and, where AWS documents it,
   * `aws:SourceArn`, e.g. `{ 'aws:SourceAccount': env.account, 'aws:SourceArn': 'arn:aws:cloudwatch:…:alarm:x' }`.
   */
  readonly context: Readonly<Record<string, string | readonly string[]>>;
}

/** A lab's `labs/<id>/calls.ts` may export `servicePrincipalCalls`: the service deliveries the lab relies on. */
export type LabServicePrincipalCalls = (env: CallEnv) => readonly ServicePrincipalCall[];

/** A CloudWatch alarm of this account notifying an SNS topic (the topic policy must let it publish). */
export function alarmPublishes(env: CallEnv, topicArn: string, alarmName = 'any-alarm'): ServicePrincipalCall {
  return {
    principal: 'cloudwatch.amazonaws.com',
    purpose: `a CloudWatch alarm (${alarmName}) notifies ${topicArn}`,
    action: 'sns:Publish',
    resource: topicArn,
    context: { 'aws:SourceAccount': env.account, 'aws:SourceArn': `arn:${env.partition}:cloudwatch:${env.region}:${env.account}:alarm:${alarmName}` },
  };
}

/** AWS Config delivering to its bucket (`bucketArn`, e.g. `@{DeliveryBucket.Arn}`): the ACL check, the listing and a delivery. */
export function configDelivers(env: CallEnv, bucketArn: string): ServicePrincipalCall[] {
  const context = { 'aws:SourceAccount': env.account };
  return [
    { principal: 'config.amazonaws.com', purpose: 'AWS Config checks the delivery bucket ACL', action: 's3:GetBucketAcl', resource: bucketArn, context },
    { principal: 'config.amazonaws.com', purpose: 'AWS Config lists the delivery bucket', action: 's3:ListBucket', resource: bucketArn, context },
    {
      principal: 'config.amazonaws.com',
      purpose: 'AWS Config delivers configuration history',
      action: 's3:PutObject',
      resource: `${bucketArn}/AWSLogs/${env.account}/Config/${env.region}/2026/11/27/ConfigHistory/x.json.gz`,
      context: { ...context, 's3:x-amz-acl': 'bucket-owner-full-control' },
    },
  ];
}

/** An EventBridge rule (`ruleArn`) invoking a target under the target's resource policy (e.g. `lambda:InvokeFunction`, `sqs:SendMessage`). */
export function ruleInvokes(env: CallEnv, ruleArn: string, action: string, targetArn: string): ServicePrincipalCall {
  return { principal: 'events.amazonaws.com', purpose: `EventBridge rule ${ruleArn} delivers to ${targetArn}`, action, resource: targetArn, context: { 'aws:SourceAccount': env.account, 'aws:SourceArn': ruleArn } };
}
