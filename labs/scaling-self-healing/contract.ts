// Names shared by the stack, the checker, the solution and the cleanup. No CDK import: the checker loads this.

export const LAB_ID = 'scaling-self-healing';

/** Stack outputs the checker and the solution read (values are CloudFormation output ids). */
export const Outputs = {
  autoScalingGroupName: 'AutoScalingGroupName',
  launchTemplateId: 'LaunchTemplateId',
  loadBalancerFullName: 'LoadBalancerFullName',
  loadBalancerUrl: 'LoadBalancerUrl',
  targetGroupArn: 'TargetGroupArn',
  targetGroupFullName: 'TargetGroupFullName',
  /** The lab's subnets, comma-separated, one per Availability Zone. */
  subnetIds: 'SubnetIds',
} as const;

/** The app's port on the instances; the load balancer listens on 80 too. */
export const APP_PORT = 80;
/** The health check path; `/break` makes it fail on the instance that answered. */
export const HEALTH_PATH = '/health';
export const BREAK_PATH = '/break';

/** The starting banner the user data serves; the learner ships a changed banner in a new template version. */
export const STARTING_BANNER = 'orders v1';

/** Sizes the task asks for: at least two AZs and two instances, at most four (the cost gate's ceiling too). */
export const MIN_AZS = 2;
export const MIN_SIZE = 2;
export const MAX_SIZE = 4;

/** Health check grace period bounds: long enough for boot, short enough to heal. */
export const MIN_GRACE_SECONDS = 60;
export const MAX_GRACE_SECONDS = 600;

/** The lowest MinHealthyPercentage a refresh may keep; AWS's default when a refresh sets none. */
export const MIN_HEALTHY_PERCENT = 50;
export const DEFAULT_MIN_HEALTHY_PERCENT = 90;

/** Sensible target values of the target tracking policy, by predefined metric. */
export const TARGET_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  ALBRequestCountPerTarget: [10, 5000],
  ASGAverageCPUUtilization: [20, 90],
};

/** Instance refresh statuses that are still under way (the cleanup cancels them). */
export const REFRESH_IN_FLIGHT: readonly string[] = ['Pending', 'InProgress', 'Cancelling', 'RollbackInProgress', 'Baking'];

/** The group's and the template's names: fixed, so the cleanup's role can name the group in its ARN. */
export const GROUP_NAME = 'doplab-scaling-self-healing-orders';
export const TEMPLATE_NAME = 'doplab-scaling-self-healing-orders';
