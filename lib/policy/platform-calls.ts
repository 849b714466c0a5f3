// The calls of doplab's own roles: the expiry schedule's (in every lab stack deployed with --ttl) and the grader's.
// The CloudFormation service role of DopLab-Base is proven against what each lab template needs (cfn-actions.ts).
import { EXPIRES_AT_CONTEXT } from '../cdk/base-names';
import { graderActions } from '../grade/grader-role';
import type { AnyLab } from '../registry';
import type { RoleCalls, ServicePrincipalCall, CallEnv } from './calls';

/** The expiry schedule's role (lib/cdk/expiry.ts), in every lab stack deployed with an expiry. */
export const expiryRoleCalls: RoleCalls = {
  role: 'DopLabExpiry/Role',
  purpose: 'EventBridge Scheduler deleting the expired lab stack',
  calls: (env) => (env.context?.[EXPIRES_AT_CONTEXT] ? [{ action: 'cloudformation:DeleteStack', resource: env.stackId }] : []),
};

/** Scheduler assuming the expiry role (its trust policy). */
export function expiryServiceCalls(env: CallEnv): ServicePrincipalCall[] {
  return [
    {
      principal: 'scheduler.amazonaws.com',
      purpose: 'the expiry schedule runs with its role',
      action: 'sts:AssumeRole',
      resource: '@{DopLabExpiry/Role.Arn}',
      context: { 'aws:SourceAccount': env.account, 'aws:SourceArn': '@{DopLabExpiry/Schedule.Arn}' },
    },
  ];
}

/** The grader role: every read-only action the checkers of `labs` declare, on `*` (what they call it on). */
export function graderRoleCalls(labs: readonly AnyLab[]): RoleCalls {
  return {
    role: 'GraderRole',
    purpose: "doplab grade reading a learner's lab with the checkers' declared actions",
    calls: () => graderActions(labs).map((action) => ({ action, resource: '*' })),
  };
}
