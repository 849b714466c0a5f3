// What every IAM role of a lab (and of doplab itself) must be able to call, declared next to the code
// that makes the calls. The policy proofs (test/policy/) simulate each declared call against the
// synthesized policies with AWS's own rules, so a role that AWS would deny fails `npm test`.
// No aws-cdk-lib import: declarations are plain data.

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
}

/** One API call a role must be able to make (or, for a scenario's intended flaw, must be refused). */
export interface DeclaredCall {
  /** The IAM action, e.g. `ecs:DeregisterTaskDefinition`. */
  readonly action: string;
  /** The resource ARN exactly as the code forms it, or `*` when the action supports no resource type. */
  readonly resource: string;
  /** Request context the call carries, e.g. `{ 'aws:RequestTag/doplab:lab': 'my-lab' }`. */
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
  /** Set when the scenario intends AWS to refuse this call (the flaw the learner fixes): why. */
  readonly deniedBecause?: string;
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
  /** The calls, as the code forms them in this environment. */
  readonly calls: (env: CallEnv) => readonly DeclaredCall[];
}

/** A lab's `labs/<id>/calls.ts` exports `roleCalls`: one entry per role its stack creates. */
export type LabRoleCalls = readonly RoleCalls[];
