import { join } from 'node:path';
import { ArnFormat, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { InlineCleanup, InlineFunction, inlineSource } from '../../lib/cdk/inline-cleanup';
import { DopLabStack } from '../../lib/cdk/lab-stack';
import {
  ALIAS_NAME,
  APPLICATION_NAME,
  FUNCTION_NAME,
  HOOK_FUNCTION_NAME,
  INITIAL_RELEASE,
  LAB_ID,
  Outputs,
  RELEASE_VARIABLE,
  REQUESTS_PER_MINUTE,
} from './contract';

/**
 * Starting state: the pricing function, version 1 published and its alias `live` on it, under traffic; a CodeDeploy
 * application for Lambda with a service role but no deployment group; a pre-traffic hook function ready to use.
 */
export class LambdaCanaryStack extends DopLabStack {
  constructor(scope: Construct) {
    super(scope, LAB_ID, 'doplab lab lambda-canary: a Lambda alias released all at once; release through a CodeDeploy canary with a hook and alarm rollback.');

    const pricing = new InlineFunction(this, 'Pricing', {
      labId: LAB_ID,
      name: 'pricing',
      source: inlineSource(join(__dirname, 'pricing.handler.js')),
      description: `Pricing service of doplab lab ${LAB_ID}; ${RELEASE_VARIABLE} decides the release.`,
      environment: { [RELEASE_VARIABLE]: INITIAL_RELEASE },
      timeout: Duration.seconds(10),
    });
    named(pricing, FUNCTION_NAME);
    // Formed from the fixed name, so the roles' policies need not wait for the function.
    const functionArn = this.formatArn({ service: 'lambda', resource: 'function', resourceName: FUNCTION_NAME, arnFormat: ArnFormat.COLON_RESOURCE_NAME });

    // CDK keeps versions by default (RETAIN); the lab's must go with the stack.
    const initialVersion = new lambda.Version(this, 'Version1', {
      lambda: pricing.function,
      description: `release ${INITIAL_RELEASE}`,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const alias = new lambda.Alias(this, 'LiveAlias', {
      aliasName: ALIAS_NAME,
      version: initialVersion,
      description: 'The alias every client calls; CodeDeploy moves it from release to release.',
    });

    const hook = new InlineFunction(this, 'Hook', {
      labId: LAB_ID,
      name: 'hook',
      source: inlineSource(join(__dirname, 'hook.handler.js')),
      description: `BeforeAllowTraffic hook of doplab lab ${LAB_ID}: smoke-tests the target version, reports to CodeDeploy.`,
      environment: { FUNCTION_NAME },
      timeout: Duration.seconds(30),
      statements: [
        new iam.PolicyStatement({ actions: ['codedeploy:GetDeployment'], resources: [this.deploymentGroupArn('*')] }),
        // The action supports no resource type (Service Authorization Reference, CodeDeploy).
        new iam.PolicyStatement({ actions: ['codedeploy:PutLifecycleEventHookExecutionStatus'], resources: ['*'] }),
        new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [functionArn, `${functionArn}:*`] }),
      ],
    });
    named(hook, HOOK_FUNCTION_NAME);

    const generator = new InlineFunction(this, 'Generator', {
      labId: LAB_ID,
      name: 'generator',
      source: inlineSource(join(__dirname, 'generator.handler.js')),
      description: `Invokes ${FUNCTION_NAME}:${ALIAS_NAME} ${REQUESTS_PER_MINUTE} times a minute (doplab lab ${LAB_ID}).`,
      environment: { FUNCTION_NAME, ALIAS_NAME, REQUESTS: String(REQUESTS_PER_MINUTE) },
      timeout: Duration.seconds(50),
      statements: [new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [alias.functionArn] })],
    });
    const schedule = new events.Rule(this, 'GeneratorSchedule', {
      description: `Runs the ${LAB_ID} traffic generator every minute.`,
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [new targets.LambdaFunction(generator.function, { retryAttempts: 0 })],
    });
    // Traffic starts once the alias exists and stops before it goes.
    schedule.node.addDependency(alias);

    const application = new codedeploy.LambdaApplication(this, 'Application', { applicationName: APPLICATION_NAME });
    const serviceRole = new iam.Role(this, 'CodeDeployServiceRole', {
      assumedBy: new iam.ServicePrincipal('codedeploy.amazonaws.com'),
      description: `CodeDeploy service role for the deployment group of doplab lab ${LAB_ID}`,
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSCodeDeployRoleForLambda')],
    });

    const cleanup = new InlineCleanup(this, 'Cleanup', {
      labId: LAB_ID,
      handlerFile: join(__dirname, 'cleanup.handler.js'),
      properties: {
        ApplicationName: application.applicationName,
        FunctionName: pricing.function.functionName,
        AliasName: ALIAS_NAME,
        InitialVersion: initialVersion.version,
      },
      // Before the application, the alias, the versions and the functions a deployment in flight still uses.
      guards: [application, alias, initialVersion, pricing.function, hook.function, serviceRole],
      timeout: Duration.minutes(10),
      statements: [
        new iam.PolicyStatement({ actions: ['codedeploy:ListDeploymentGroups'], resources: [this.applicationArn()] }),
        new iam.PolicyStatement({
          actions: ['codedeploy:ListDeployments', 'codedeploy:GetDeployment', 'codedeploy:GetDeploymentGroup', 'codedeploy:DeleteDeploymentGroup'],
          resources: [this.deploymentGroupArn('*')],
        }),
        new iam.PolicyStatement({
          actions: ['codedeploy:DeleteDeploymentConfig'],
          resources: [this.formatArn({ service: 'codedeploy', resource: 'deploymentconfig', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
        }),
        new iam.PolicyStatement({ actions: ['codedeploy:StopDeployment', 'cloudwatch:DescribeAlarms'], resources: ['*'] }),
        new iam.PolicyStatement({
          actions: ['cloudwatch:DeleteAlarms'],
          resources: [this.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
        }),
        new iam.PolicyStatement({
          actions: ['lambda:UpdateAlias', 'lambda:ListVersionsByFunction', 'lambda:DeleteFunction'],
          resources: [functionArn, `${functionArn}:*`],
        }),
      ],
    });

    this.acknowledgeFindings({ hook, serviceRole, cleanup });

    this.exportOutputs(Outputs, {
      applicationName: application.applicationName,
      serviceRoleArn: serviceRole.roleArn,
      functionName: pricing.function.functionName,
      aliasName: alias.aliasName,
      initialVersion: initialVersion.version,
      hookFunctionName: hook.function.functionName,
    });
  }

  /** `arn:…:codedeploy:…:application:DopLab-lambda-canary`. */
  private applicationArn(): string {
    return this.formatArn({ service: 'codedeploy', resource: 'application', resourceName: APPLICATION_NAME, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  }

  /** A deployment group of the lab's application; the learner names it. */
  private deploymentGroupArn(group: string): string {
    return this.formatArn({
      service: 'codedeploy',
      resource: 'deploymentgroup',
      resourceName: `${APPLICATION_NAME}/${group}`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  /** cdk-nag findings that are the scenario or its cost budget, each with its reason. */
  private acknowledgeFindings(parts: { hook: InlineFunction; serviceRole: iam.Role; cleanup: InlineCleanup }): void {
    const versions = `arn:<AWS::Partition>:lambda:<AWS::Region>:<AWS::AccountId>:function:${FUNCTION_NAME}:*`;
    const groups = `arn:<AWS::Partition>:codedeploy:<AWS::Region>:<AWS::AccountId>:deploymentgroup:${APPLICATION_NAME}/*`;
    Validations.of(parts.serviceRole).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambda]',
      reason:
        'AWSCodeDeployRoleForLambda is the policy AWS documents for CodeDeploy Lambda deployments: it moves aliases, reads alarms ' +
        'and invokes only hooks named CodeDeployHook_*, and it tracks what CodeDeploy needs.',
    });
    Validations.of(parts.hook.role).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'codedeploy:PutLifecycleEventHookExecutionStatus supports no resource-level permissions (Service Authorization Reference).',
      },
      {
        id: `AwsSolutions-IAM5[Resource::${groups}]`,
        reason: 'The learner names the deployment group; the hook reads only deployments of groups in the lab application.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::${versions}]`,
        reason: 'The hook smoke-tests whichever version a deployment targets; the learner publishes them, so their numbers are unknown.',
      },
    );
    Validations.of(parts.cleanup.handler.role).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'codedeploy:StopDeployment and cloudwatch:DescribeAlarms support no resource-level permissions; the cleanup stops only ' +
          "deployments it listed in the lab's groups and finds the learner's alarms by the function they watch.",
      },
      {
        id: `AwsSolutions-IAM5[Resource::${groups}]`,
        reason: 'The learner names the deployment groups of the lab application; the cleanup deletes those groups only.',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:codedeploy:<AWS::Region>:<AWS::AccountId>:deploymentconfig:*]',
        reason: "The learner names a custom deployment configuration; the cleanup deletes only those the lab's deployments used.",
      },
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:*]',
        reason: "The learner names the alarms; the cleanup deletes only alarms on the lab's pricing function.",
      },
      {
        id: `AwsSolutions-IAM5[Resource::${versions}]`,
        reason: 'The learner publishes versions of the pricing function; the cleanup deletes every version but the one the stack made.',
      },
    );
  }
}

/** Gives an inline function a fixed name (the managed CodeDeploy policy and the learner's AppSpec need names). */
function named(fn: InlineFunction, functionName: string): void {
  (fn.function.node.defaultChild as lambda.CfnFunction).functionName = functionName;
}

/** Adds the lab's stack to a CDK app. */
export function addLabStack(app: Construct): LambdaCanaryStack {
  return new LambdaCanaryStack(app);
}
