// The calls each role of the lab must be able to make, and the service deliveries it relies on (test/policy/ proves them).
import { configDelivers, functionLogCalls, lambdaAssumesRole, type CallEnv, type LabRoleCalls, type LabServicePrincipalCalls } from '../../lib/policy/calls';
import { LAB_TAG_KEY } from '../../lib/contract';
import { CONTEXT_CREATE_RECORDER, LAB_ID } from './contract';

const ownRecorder = (env: CallEnv) => env.context?.[CONTEXT_CREATE_RECORDER] === 'true';
/** The buckets the cleanup empties: the two lab buckets, and the delivery bucket when the lab has its own recorder. */
const emptied = (env: CallEnv) => ['InvoicesBucket', 'ReportsBucket', ...(ownRecorder(env) ? ['DeliveryBucket'] : [])];
const deliveryObject = (env: CallEnv) => `@{DeliveryBucket.Arn}/AWSLogs/${env.account}/Config/${env.region}/2026/11/27/ConfigHistory/x.json.gz`;

export const roleCalls: LabRoleCalls = [
  {
    role: 'Cleanup/Handler/Role',
    purpose: 'in-stack cleanup handler',
    calls: (env) => [
      ...[
        'DescribeRemediationConfigurations',
        'DeleteRemediationConfiguration',
        'DescribeRemediationExceptions',
        'DeleteRemediationExceptions',
        'DescribeConfigRules',
        'DeleteConfigRule',
        ...(ownRecorder(env) ? ['StopConfigurationRecorder'] : []),
      ].map((op) => ({ action: `config:${op}`, resource: '*' })),
      ...['GetRole', 'ListRolePolicies', 'DeleteRolePolicy', 'ListAttachedRolePolicies', 'DetachRolePolicy', 'DeleteRole'].map((op) => ({
        action: `iam:${op}`,
        resource: `arn:${env.partition}:iam::${env.account}:role/doplab-config-remediation-automation`,
        context: { [`aws:ResourceTag/${LAB_TAG_KEY}`]: LAB_ID },
      })),
      {
        action: 'iam:DeleteRole',
        resource: `arn:${env.partition}:iam::${env.account}:role/someone-elses-role`,
        context: { [`aws:ResourceTag/${LAB_TAG_KEY}`]: 'another-lab' },
        deniedBecause: 'the cleanup deletes only automation roles tagged for this lab',
      },
      ...emptied(env).flatMap((bucket) => [
        { action: 's3:ListBucketVersions', resource: `@{${bucket}.Arn}` },
        { action: 's3:DeleteObject', resource: `@{${bucket}.Arn}/reports/2026-11.csv` },
        { action: 's3:DeleteObjectVersion', resource: `@{${bucket}.Arn}/reports/2026-11.csv` },
      ]),
      ...functionLogCalls(env, LAB_ID, 'cleanup'),
    ],
  },
  {
    role: 'RecorderRole',
    purpose: 'AWS Config recorder role (only with the lab-owned recorder); its reads come from AWS_ConfigRole',
    calls: (env) =>
      ownRecorder(env)
        ? [
            { action: 's3:GetBucketAcl', resource: '@{DeliveryBucket.Arn}' },
            { action: 's3:PutObject', resource: deliveryObject(env) },
          ]
        : [],
  },
];

export const servicePrincipalCalls: LabServicePrincipalCalls = (env) => [
  ...(ownRecorder(env)
    ? [
        ...configDelivers(env, '@{DeliveryBucket.Arn}'),
        { principal: 'config.amazonaws.com', purpose: 'AWS Config assumes the recorder role', action: 'sts:AssumeRole', resource: '@{RecorderRole.Arn}', context: { 'aws:SourceAccount': env.account } },
      ]
    : []),
  lambdaAssumesRole(env, 'Cleanup/Handler/Role'),
];

/** What the reference solution sends, with the learner's credentials. */
export const solutionActions: readonly string[] = [
  'iam:CreateRole',
  'iam:PutRolePolicy',
  'iam:UpdateAssumeRolePolicy',
  'iam:TagRole',
  'iam:PassRole',
  'config:PutRemediationConfigurations',
  'config:StartConfigRulesEvaluation',
  'config:GetComplianceDetailsByConfigRule',
  'config:StartRemediationExecution',
];
