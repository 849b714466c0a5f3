// Names shared by the base stack and the harness, without importing aws-cdk-lib (status and destroy stay fast).

/** The per-account/region stack holding what every lab stack shares. */
export const BASE_STACK_NAME = 'DopLab-Base';

/** The base stack's output: the CloudFormation execution role every lab stack is deployed with. */
export const EXECUTION_ROLE_OUTPUT = 'ExecutionRoleArn';

/** CDK context key of the instant a lab stack deletes itself (ISO 8601, UTC); `doplab deploy --ttl` sets it. */
export const EXPIRES_AT_CONTEXT = 'doplab:expiresAt';

/** The stack output that tells `doplab status` when the lab expires. */
export const EXPIRES_AT_OUTPUT = 'DopLabExpiresAt';
