import { join } from 'node:path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as codeartifact from 'aws-cdk-lib/aws-codeartifact';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { InlineCleanup } from '../../lib/cdk/inline-cleanup';
import { DopLabStack } from '../../lib/cdk/lab-stack';
import {
  CI_ROLE_NAME,
  DOMAIN_NAME,
  LAB_ID,
  NOT_RECORDED,
  NPM_REPOSITORY_NAME,
  Outputs,
  PULL_ACTIONS,
  PUSH_ACTIONS,
  REPOSITORY_NAME,
  SCANNING_RECORD_PARAMETER,
} from './contract';

/**
 * Starting state: an ECR repository with mutable tags, no scanning, no lifecycle policy and a repository policy that lets
 * every principal of the account pull and push; a CI role meant to be its only puller; a CodeArtifact domain with a
 * repository that has no upstream.
 */
export class ArtifactRepositoriesStack extends DopLabStack {
  constructor(scope: Construct) {
    super(scope, LAB_ID, 'doplab lab artifact-repositories: govern an ECR repository and a CodeArtifact npm proxy.');

    const repository = new ecr.Repository(this, 'OrdersApi', {
      repositoryName: REPOSITORY_NAME,
      imageTagMutability: ecr.TagMutability.MUTABLE,
      imageScanOnPush: false,
      removalPolicy: RemovalPolicy.DESTROY,
      // CloudFormation deletes the learner's images with the repository (autoDeleteImages would need an asset).
      emptyOnDelete: true,
    });
    // The scenario's flaw: Principal "*" limited only by the account admits every principal of the account, to pull and push.
    repository.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AccountPullPush',
        principals: [new iam.StarPrincipal()],
        actions: [...PULL_ACTIONS, ...PUSH_ACTIONS],
        conditions: { StringEquals: { 'aws:PrincipalAccount': this.account } },
      }),
    );
    Validations.of(repository).acknowledge({
      id: 'AwsSolutions-ECR1',
      reason: 'The scenario\'s intended flaw: Principal "*" limited only by aws:PrincipalAccount lets every principal of the account pull and push; the learner replaces it.',
    });

    const ciRole = new iam.Role(this, 'CiRole', {
      roleName: CI_ROLE_NAME,
      assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': this.account } } }),
      description: `CI builds of doplab lab ${LAB_ID}: the only role that should pull ${REPOSITORY_NAME}.`,
      inlinePolicies: {
        // Registry-wide: a repository policy cannot grant it, so the identity policy does.
        EcrLogin: new iam.PolicyDocument({ statements: [new iam.PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] })] }),
      },
    });
    Validations.of(ciRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ecr:GetAuthorizationToken supports no resource type (Service Authorization Reference): it is granted on * or not at all.',
    });

    const domain = new codeartifact.CfnDomain(this, 'Domain', { domainName: DOMAIN_NAME });
    domain.applyRemovalPolicy(RemovalPolicy.DESTROY);
    const npm = new codeartifact.CfnRepository(this, 'OrdersNpm', {
      domainName: domain.attrName,
      repositoryName: NPM_REPOSITORY_NAME,
      description: `doplab lab ${LAB_ID}: the npm repository builds install from (no upstream yet).`,
    });
    npm.applyRemovalPolicy(RemovalPolicy.DESTROY);

    // Filled by the cleanup at deploy with the registry scanning configuration it restores at delete.
    const record = new ssm.StringParameter(this, 'ScanningRecord', {
      parameterName: SCANNING_RECORD_PARAMETER,
      stringValue: NOT_RECORDED,
      description: `doplab lab ${LAB_ID}: the account's ECR registry scanning configuration at deploy, restored at delete.`,
    });
    record.applyRemovalPolicy(RemovalPolicy.DESTROY);

    const repositoryArnPrefix = this.formatArn({ service: 'codeartifact', resource: 'repository', resourceName: `${DOMAIN_NAME}/*` });
    const cleanup = new InlineCleanup(this, 'Cleanup', {
      labId: LAB_ID,
      handlerFile: join(__dirname, 'cleanup.handler.js'),
      properties: { ScanningRecord: record.parameterName, Domain: domain.attrName, NpmRepository: npm.attrName },
      // Deleted first: the domain cannot go while the learner's repositories are in it, nor one of them while it is another's upstream.
      guards: [repository, domain, npm, record],
      timeout: Duration.minutes(2),
      statements: [
        new iam.PolicyStatement({ actions: ['ecr:GetRegistryScanningConfiguration', 'ecr:PutRegistryScanningConfiguration'], resources: ['*'] }),
        new iam.PolicyStatement({ actions: ['ssm:GetParameter', 'ssm:PutParameter'], resources: [record.parameterArn] }),
        new iam.PolicyStatement({ actions: ['codeartifact:ListRepositoriesInDomain'], resources: [domain.attrArn] }),
        new iam.PolicyStatement({
          actions: ['codeartifact:DescribeRepository', 'codeartifact:UpdateRepository', 'codeartifact:DisassociateExternalConnection', 'codeartifact:DeleteRepository'],
          resources: [repositoryArnPrefix],
        }),
      ],
    });
    Validations.of(cleanup.handler.role).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'The registry scanning configuration is account-wide: ecr:Get/PutRegistryScanningConfiguration support no resource type.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:codeartifact:<AWS::Region>:<AWS::AccountId>:repository/${DOMAIN_NAME}/*]`,
        reason: "The learner names the repositories they add to the lab domain; the cleanup removes every repository of that domain, and only there.",
      },
    );

    this.exportOutputs(Outputs, {
      repositoryName: repository.repositoryName,
      repositoryArn: repository.repositoryArn,
      ciRoleArn: ciRole.roleArn,
      domainName: domain.attrName,
      npmRepositoryName: npm.attrName,
    });
  }
}

/** Adds the lab's stack to a CDK app. */
export function addLabStack(app: Construct): ArtifactRepositoriesStack {
  return new ArtifactRepositoriesStack(app);
}
