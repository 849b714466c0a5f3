// What each role of the artifact-repositories stack must be able to call (lib/policy/calls.ts), and what the solution sends.
import { functionLogCalls, lambdaAssumesRole, type CallEnv, type LabRoleCalls, type LabServicePrincipalCalls } from '../../lib/policy/calls';
import { DOMAIN_NAME, LAB_ID, PULL_ACTIONS, REPOSITORY_NAME, SCANNING_RECORD_PARAMETER } from './contract';

function codeartifactArn(env: CallEnv, resource: string): string {
  return `arn:${env.partition}:codeartifact:${env.region}:${env.account}:${resource}`;
}

export const roleCalls: LabRoleCalls = [
  {
    role: 'Cleanup/Handler/Role',
    purpose: 'in-stack cleanup handler',
    calls: (env) => {
      const repository = (name: string) => codeartifactArn(env, `repository/${DOMAIN_NAME}/${name}`);
      // A repository the learner adds to the lab domain (any name).
      const learners = repository('npmjs-store');
      return [
        { action: 'ecr:GetRegistryScanningConfiguration', resource: '*' },
        { action: 'ecr:PutRegistryScanningConfiguration', resource: '*' },
        { action: 'ssm:PutParameter', resource: `arn:${env.partition}:ssm:${env.region}:${env.account}:parameter${SCANNING_RECORD_PARAMETER}` },
        { action: 'ssm:GetParameter', resource: `arn:${env.partition}:ssm:${env.region}:${env.account}:parameter${SCANNING_RECORD_PARAMETER}` },
        { action: 'codeartifact:ListRepositoriesInDomain', resource: codeartifactArn(env, `domain/${DOMAIN_NAME}`) },
        ...[repository('orders-npm'), learners].flatMap((arn) => [
          { action: 'codeartifact:DescribeRepository', resource: arn },
          { action: 'codeartifact:UpdateRepository', resource: arn },
          { action: 'codeartifact:DisassociateExternalConnection', resource: arn },
        ]),
        { action: 'codeartifact:DeleteRepository', resource: learners },
        ...functionLogCalls(env, LAB_ID, 'cleanup'),
      ];
    },
  },
  {
    role: 'CiRole',
    purpose: 'CI builds that pull doplab/orders-api (the pulls themselves are granted by the repository policy)',
    calls: (env) => [
      { action: 'ecr:GetAuthorizationToken', resource: '*' },
      // Granted by the repository policy alone (the role's own policy has no ECR pull): the starting policy's account-wide
      // statement, and the learner's CI-only statement after the fix.
      ...PULL_ACTIONS.map((action) => ({ action, resource: `arn:${env.partition}:ecr:${env.region}:${env.account}:repository/${REPOSITORY_NAME}` })),
    ],
  },
];

export const servicePrincipalCalls: LabServicePrincipalCalls = (env) => [
  // The CI role's trust lets CodeBuild assume it for the account's projects only (aws:SourceAccount; CodeBuild also
  // sends aws:SourceArn, its project: "Cross-service confused deputy prevention", CodeBuild User Guide).
  {
    principal: 'codebuild.amazonaws.com',
    purpose: 'a CodeBuild project of the account runs its builds with the CI role',
    action: 'sts:AssumeRole',
    resource: '@{CiRole.Arn}',
    context: { 'aws:SourceAccount': env.account, 'aws:SourceArn': `arn:${env.partition}:codebuild:${env.region}:${env.account}:project/orders-api-build` },
  },
  lambdaAssumesRole(env, 'Cleanup/Handler/Role'),
];

/** What the reference solution sends, with the learner's credentials. */
export const solutionActions: readonly string[] = [
  'ecr:PutImageTagMutability',
  'ecr:GetRegistryScanningConfiguration',
  'ecr:PutRegistryScanningConfiguration',
  'ecr:PutLifecyclePolicy',
  'ecr:SetRepositoryPolicy',
  'codeartifact:CreateRepository',
  'codeartifact:AssociateExternalConnection',
  'codeartifact:UpdateRepository',
];
