// What each role of the artifact-repositories stack must be able to call (lib/policy/calls.ts), and what the solution sends.
import type { CallEnv, LabRoleCalls } from '../../lib/policy/calls';
import { DOMAIN_NAME, SCANNING_RECORD_PARAMETER } from './contract';

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
      ];
    },
  },
  {
    role: 'CiRole',
    purpose: 'CI builds that pull doplab/orders-api (the pulls themselves are granted by the repository policy)',
    calls: () => [{ action: 'ecr:GetAuthorizationToken', resource: '*' }],
  },
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
