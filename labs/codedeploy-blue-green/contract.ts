// Names shared by the stack, the checker, the solution and the cleanup. No CDK import: the checker loads this.

export const LAB_ID = 'codedeploy-blue-green';

/** Stack outputs the checker and the solution read (values are CloudFormation output ids). */
export const Outputs = {
  applicationName: 'ApplicationName',
  deploymentGroupName: 'DeploymentGroupName',
  clusterName: 'ClusterName',
  serviceName: 'ServiceName',
  initialTaskDefinitionArn: 'InitialTaskDefinitionArn',
  loadBalancerFullName: 'LoadBalancerFullName',
  loadBalancerUrl: 'LoadBalancerUrl',
  productionListenerArn: 'ProductionListenerArn',
  testListenerArn: 'TestListenerArn',
  blueTargetGroupArn: 'BlueTargetGroupArn',
  blueTargetGroupFullName: 'BlueTargetGroupFullName',
  greenTargetGroupArn: 'GreenTargetGroupArn',
  greenTargetGroupFullName: 'GreenTargetGroupFullName',
} as const;

/** The task definition family of the web service; the learner registers revision 2 of it. */
export const TASK_FAMILY = 'doplab-codedeploy-blue-green-web';
/** The container the load balancer sends traffic to (the AppSpec names it). */
export const CONTAINER_NAME = 'web';
export const CONTAINER_PORT = 80;
/** The production listener's port; the test listener's port. */
export const PRODUCTION_PORT = 80;
export const TEST_PORT = 8080;

/**
 * nginx 1.19.9 from the official nginx repository on ECR Public, pinned by digest so a re-tag cannot change the lab.
 * The digest is the one gardener's registry-cache end-to-end tests pull for public.ecr.aws/nginx/nginx:1.19.9; the
 * lab's preflight (preflight.ts) resolves it on ECR Public before every deploy and refuses when it is missing or not amd64.
 */
export const WEB_IMAGE = 'public.ecr.aws/nginx/nginx@sha256:f248a8862fa9b21badbe043518f52f143946e2dc705300e8534f8ca624a291b2';

/** The environment variable that tells the versions apart; the stack ships VERSION=1, the learner ships 2. */
export const VERSION_VARIABLE = 'VERSION';

/** The log group of the web containers. */
export const WEB_LOG_GROUP_NAME = '/doplab/codedeploy-blue-green/web';

/** CodeDeploy's all-at-once ECS configuration: the group's starting (bad) configuration. */
export const ALL_AT_ONCE_CONFIG = 'CodeDeployDefault.ECSAllAtOnce';

/** Deployment statuses of a deployment that has not finished yet. */
export const IN_FLIGHT_STATUSES: readonly string[] = ['Created', 'Queued', 'InProgress', 'Baking', 'Ready'];
