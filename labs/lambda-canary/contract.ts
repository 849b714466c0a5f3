// Names shared by the stack, the checker, the solution and the cleanup. No CDK import: the checker loads this.

export const LAB_ID = 'lambda-canary';

/** Stack outputs the checker and the solution read (values are CloudFormation output ids). */
export const Outputs = {
  applicationName: 'ApplicationName',
  serviceRoleArn: 'ServiceRoleArn',
  functionName: 'FunctionName',
  aliasName: 'AliasName',
  initialVersion: 'InitialVersion',
  hookFunctionName: 'HookFunctionName',
} as const;

/** The CodeDeploy application (compute platform Lambda); the learner creates its deployment group. */
export const APPLICATION_NAME = `DopLab-${LAB_ID}`;
/** The pricing function; its alias `live` serves the traffic. */
export const FUNCTION_NAME = `DopLab-${LAB_ID}-pricing`;
export const ALIAS_NAME = 'live';
/**
 * The pre-traffic hook. AWSCodeDeployRoleForLambda, the managed policy of the CodeDeploy service role, lets
 * CodeDeploy invoke only functions whose names start with `CodeDeployHook_`.
 */
export const HOOK_FUNCTION_NAME = `CodeDeployHook_DopLab-${LAB_ID}-pricing`;

/** The environment variable that tells the releases apart: 1 ships with the stack, 2 is good, 3 is bad. */
export const RELEASE_VARIABLE = 'RELEASE';
export const INITIAL_RELEASE = '1';
export const GOOD_RELEASE = '2';
export const BAD_RELEASE = '3';

/** How many times a minute the traffic generator invokes the alias. */
export const REQUESTS_PER_MINUTE = 30;

/** Deployment statuses of a deployment that has not finished yet. */
export const IN_FLIGHT_STATUSES: readonly string[] = ['Created', 'Queued', 'InProgress', 'Baking', 'Ready'];

/** A canary passes when its first step shifts at most this share of traffic... */
export const MAX_CANARY_PERCENT = 25;
/** ...and waits at least this many minutes before shifting the rest. */
export const MIN_CANARY_MINUTES = 3;
