import type { Lab } from '../lib/lab';
import { lab as artifactRepositories } from './artifact-repositories/lab';
import { lab as backupDr } from './backup-dr/lab';
import { lab as brokenPipeline } from './broken-pipeline/lab';
import { lab as cloudwatchMetricFilters } from './cloudwatch-metric-filters/lab';
import { lab as codedeployBlueGreen } from './codedeploy-blue-green/lab';
import { lab as configRemediation } from './config-remediation/lab';
import { lab as eventbridgeIncidents } from './eventbridge-incidents/lab';
import { lab as lambdaCanary } from './lambda-canary/lab';
import { lab as permissionBoundaries } from './permission-boundaries/lab';
import { lab as pipelineTestStage } from './pipeline-test-stage/lab';
import { lab as scalingSelfHealing } from './scaling-self-healing/lab';
import { lab as securityMonitoring } from './security-monitoring/lab';
import { lab as ssmFleetCompliance } from './ssm-fleet-compliance/lab';
import { lab as stacksetsMultiRegion } from './stacksets-multi-region/lab';

/** Every lab, listed by hand (nothing scans folders at run time), in catalogue order. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- labs differ in outputs and facts types
export const LABS: readonly Lab<any, any>[] = [
  cloudwatchMetricFilters,
  codedeployBlueGreen,
  stacksetsMultiRegion,
  configRemediation,
  pipelineTestStage,
  artifactRepositories,
  lambdaCanary,
  ssmFleetCompliance,
  scalingSelfHealing,
  backupDr,
  eventbridgeIncidents,
  brokenPipeline,
  permissionBoundaries,
  securityMonitoring,
];
