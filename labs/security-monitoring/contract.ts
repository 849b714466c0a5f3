// Names shared by the stack, the checker and the solution. No CDK import: the checker loads this.

export const LAB_ID = 'security-monitoring';

/** Stack outputs the checker and the solution read (values are CloudFormation output ids). */
export const Outputs = {
  trailName: 'TrailName',
  trailArn: 'TrailArn',
  trailLogGroupName: 'TrailLogGroupName',
  trailBucketName: 'TrailBucketName',
  securityTopicArn: 'SecurityTopicArn',
} as const;

/** The lab's trail (a fixed name: the README and the cleanup refer to it). */
export const TRAIL_NAME = `DopLab-${LAB_ID}`;
/** The log group the trail delivers to; the learner's metric filters go on it. */
export const TRAIL_LOG_GROUP_NAME = `/doplab/${LAB_ID}/cloudtrail`;
/** The security topic's name. */
export const SECURITY_TOPIC_NAME = `DopLab-${LAB_ID}-security`;

/** The monitoring controls the learner covers, with the AWS Security Hub control each follows. */
export type ControlId = 'root-usage' | 'unauthorized-api-calls' | 'console-signin-without-mfa' | 'iam-policy-changes' | 'cloudtrail-changes' | 'security-group-changes';

/** A CloudTrail record as CloudTrail delivers it to CloudWatch Logs (one JSON object per log event). */
const record = (fields: Record<string, unknown>): string =>
  JSON.stringify({
    eventVersion: '1.09',
    ...fields,
    recipientAccountId: '111122223333',
  });

const iamUser = { type: 'IAMUser', principalId: 'AIDAEXAMPLEDEVOPS01', arn: 'arn:aws:iam::111122223333:user/dana', accountId: '111122223333', accessKeyId: 'ASIAEXAMPLEKEY000001', userName: 'dana' };
const root = { type: 'Root', principalId: '111122223333', arn: 'arn:aws:iam::111122223333:root', accountId: '111122223333' };
const api = (eventSource: string, eventName: string, extra: Record<string, unknown> = {}) =>
  record({
    userIdentity: iamUser,
    eventTime: '2026-11-27T10:15:02Z',
    eventSource,
    eventName,
    awsRegion: 'us-east-1',
    sourceIPAddress: '198.51.100.24',
    userAgent: 'aws-cli/2.22.0 md/awscrt#0.22.0 ua/2.0 os/linux#6.1',
    requestParameters: null,
    responseElements: null,
    requestID: `${eventName.toLowerCase()}-0a1b2c3d`,
    eventID: `${eventName.toLowerCase()}-4e5f6071`,
    readOnly: /^(Describe|Get|List|Lookup)/.test(eventName),
    eventType: 'AwsApiCall',
    managementEvent: true,
    eventCategory: 'Management',
    ...extra,
  });
const signin = (userIdentity: Record<string, unknown>, mfaUsed: 'Yes' | 'No', result: 'Success' | 'Failure' = 'Success') =>
  record({
    userIdentity,
    eventTime: '2026-11-27T09:02:41Z',
    eventSource: 'signin.amazonaws.com',
    eventName: 'ConsoleLogin',
    awsRegion: 'us-east-1',
    sourceIPAddress: '203.0.113.77',
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
    requestParameters: null,
    responseElements: { ConsoleLogin: result },
    additionalEventData: { LoginTo: 'https://console.aws.amazon.com/console/home', MobileVersion: 'No', MFAUsed: mfaUsed },
    eventID: `signin-${String(userIdentity.type).toLowerCase()}-${mfaUsed.toLowerCase()}`,
    readOnly: false,
    eventType: 'AwsConsoleSignIn',
    managementEvent: true,
    eventCategory: 'Management',
  });

/** One control: what its filter must match (positives) and must not (negatives), as real CloudTrail records. */
export interface Control {
  readonly id: ControlId;
  /** The AWS Security Hub control whose pattern is the reference. */
  readonly securityHub: string;
  readonly title: string;
  readonly positives: readonly { readonly what: string; readonly line: string }[];
  readonly negatives: readonly { readonly what: string; readonly line: string }[];
}

export const CONTROLS: readonly Control[] = [
  {
    id: 'root-usage',
    securityHub: 'CloudWatch.1',
    title: 'Use of the root user',
    positives: [
      { what: 'root console sign-in', line: signin(root, 'Yes') },
      {
        what: 'root creating an access key',
        line: api('iam.amazonaws.com', 'CreateAccessKey', { userIdentity: root, requestParameters: {}, responseElements: { accessKey: { accessKeyId: 'AKIAEXAMPLEROOTKEY01', status: 'Active', userName: 'root' } } }),
      },
    ],
    negatives: [
      {
        what: 'root sign-in credential check (an AwsServiceEvent)',
        line: record({
          userIdentity: root,
          eventTime: '2026-11-27T09:02:40Z',
          eventSource: 'signin.amazonaws.com',
          eventName: 'CredentialVerification',
          awsRegion: 'us-east-1',
          sourceIPAddress: '203.0.113.77',
          userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
          requestParameters: null,
          responseElements: null,
          additionalEventData: { CredentialType: 'PASSWORD' },
          serviceEventDetails: { CredentialVerification: 'Success' },
          eventID: 'credentialverification-root',
          readOnly: false,
          eventType: 'AwsServiceEvent',
          managementEvent: true,
          eventCategory: 'Management',
        }),
      },
      {
        what: 'a call an AWS service made with the root identity (invokedBy set)',
        line: api('s3.amazonaws.com', 'GetBucketAcl', {
          userIdentity: { ...root, invokedBy: 'cloudtrail.amazonaws.com' },
          sourceIPAddress: 'cloudtrail.amazonaws.com',
          userAgent: 'cloudtrail.amazonaws.com',
          requestParameters: { bucketName: 'doplab-trail-logs', acl: '' },
        }),
      },
      { what: 'an IAM user listing users', line: api('iam.amazonaws.com', 'ListUsers') },
    ],
  },
  {
    id: 'unauthorized-api-calls',
    securityHub: 'CloudWatch.2',
    title: 'Unauthorized API calls',
    positives: [
      {
        what: 'EC2 refusing RunInstances (Client.UnauthorizedOperation)',
        line: api('ec2.amazonaws.com', 'RunInstances', {
          errorCode: 'Client.UnauthorizedOperation',
          errorMessage: 'You are not authorized to perform this operation. User: arn:aws:iam::111122223333:user/dana is not authorized to perform: ec2:RunInstances',
          requestParameters: { instanceType: 't3.micro' },
        }),
      },
      {
        what: 'S3 refusing GetObject (AccessDenied)',
        line: api('s3.amazonaws.com', 'GetBucketPolicy', { errorCode: 'AccessDenied', errorMessage: 'Access Denied', requestParameters: { bucketName: 'payroll-exports', policy: '' } }),
      },
      {
        what: 'KMS refusing Decrypt (AccessDeniedException)',
        line: api('kms.amazonaws.com', 'Decrypt', {
          errorCode: 'AccessDeniedException',
          errorMessage: 'User: arn:aws:iam::111122223333:user/dana is not authorized to perform: kms:Decrypt on this resource because no identity-based policy allows the kms:Decrypt action',
          requestParameters: { encryptionAlgorithm: 'SYMMETRIC_DEFAULT' },
        }),
      },
    ],
    negatives: [
      { what: 'a throttled call (ThrottlingException)', line: api('ssm.amazonaws.com', 'GetParameters', { errorCode: 'ThrottlingException', errorMessage: 'Rate exceeded' }) },
      { what: 'a missing bucket (NoSuchBucket)', line: api('s3.amazonaws.com', 'GetBucketLocation', { errorCode: 'NoSuchBucket', errorMessage: 'The specified bucket does not exist', requestParameters: { bucketName: 'old-reports', location: '' } }) },
      { what: 'a successful DescribeInstances', line: api('ec2.amazonaws.com', 'DescribeInstances', { requestParameters: { maxResults: 50 } }) },
    ],
  },
  {
    id: 'console-signin-without-mfa',
    securityHub: 'CloudWatch.3',
    title: 'Console sign-in without MFA',
    positives: [{ what: 'an IAM user signing in without MFA', line: signin(iamUser, 'No') }],
    negatives: [
      { what: 'an IAM user signing in with MFA', line: signin({ ...iamUser, principalId: 'AIDAEXAMPLEDEVOPS02', arn: 'arn:aws:iam::111122223333:user/lee', userName: 'lee' }, 'Yes') },
      {
        what: 'an IAM Identity Center user signing in (MFA is enforced by Identity Center, not recorded here)',
        line: signin(
          {
            type: 'AssumedRole',
            principalId: 'AROAEXAMPLESSOROLE01:kim@example.com',
            arn: 'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_AdministratorAccess_0123456789abcdef/kim@example.com',
            accountId: '111122223333',
            sessionContext: {
              sessionIssuer: { type: 'Role', principalId: 'AROAEXAMPLESSOROLE01', arn: 'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_0123456789abcdef', accountId: '111122223333', userName: 'AWSReservedSSO_AdministratorAccess_0123456789abcdef' },
              attributes: { creationDate: '2026-11-27T09:02:41Z', mfaAuthenticated: 'false' },
            },
          },
          'No',
        ),
      },
      { what: 'an IAM user signing out', line: api('signin.amazonaws.com', 'ConsoleLogout', { eventType: 'AwsConsoleSignIn' }) },
    ],
  },
  {
    id: 'iam-policy-changes',
    securityHub: 'CloudWatch.4',
    title: 'IAM policy changes',
    positives: [
      { what: 'PutRolePolicy', line: api('iam.amazonaws.com', 'PutRolePolicy', { requestParameters: { roleName: 'app-role', policyName: 'inline', policyDocument: '{"Version":"2012-10-17","Statement":[]}' } }) },
      { what: 'AttachUserPolicy', line: api('iam.amazonaws.com', 'AttachUserPolicy', { requestParameters: { userName: 'dana', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' } }) },
      { what: 'CreatePolicyVersion', line: api('iam.amazonaws.com', 'CreatePolicyVersion', { requestParameters: { policyArn: 'arn:aws:iam::111122223333:policy/deployers', setAsDefault: true } }) },
      { what: 'DeleteGroupPolicy', line: api('iam.amazonaws.com', 'DeleteGroupPolicy', { requestParameters: { groupName: 'developers', policyName: 'boundary' } }) },
    ],
    negatives: [
      { what: 'GetPolicy (a read)', line: api('iam.amazonaws.com', 'GetPolicy', { requestParameters: { policyArn: 'arn:aws:iam::111122223333:policy/deployers' } }) },
      { what: 'ListAttachedRolePolicies (a read)', line: api('iam.amazonaws.com', 'ListAttachedRolePolicies', { requestParameters: { roleName: 'app-role' } }) },
      { what: 'CreateUser (not a policy change)', line: api('iam.amazonaws.com', 'CreateUser', { requestParameters: { userName: 'temp-contractor' } }) },
    ],
  },
  {
    id: 'cloudtrail-changes',
    securityHub: 'CloudWatch.5',
    title: 'CloudTrail configuration changes',
    positives: [
      { what: 'StopLogging', line: api('cloudtrail.amazonaws.com', 'StopLogging', { requestParameters: { name: 'arn:aws:cloudtrail:us-east-1:111122223333:trail/management' } }) },
      { what: 'UpdateTrail', line: api('cloudtrail.amazonaws.com', 'UpdateTrail', { requestParameters: { name: 'management', enableLogFileValidation: false } }) },
      { what: 'DeleteTrail', line: api('cloudtrail.amazonaws.com', 'DeleteTrail', { requestParameters: { name: 'management' } }) },
    ],
    negatives: [
      { what: 'DescribeTrails (a read)', line: api('cloudtrail.amazonaws.com', 'DescribeTrails', { requestParameters: { includeShadowTrails: false } }) },
      { what: 'GetTrailStatus (a read)', line: api('cloudtrail.amazonaws.com', 'GetTrailStatus', { requestParameters: { name: 'management' } }) },
      { what: 'LookupEvents (a read)', line: api('cloudtrail.amazonaws.com', 'LookupEvents', { requestParameters: { maxResults: 50 } }) },
    ],
  },
  {
    id: 'security-group-changes',
    securityHub: 'CloudWatch.10',
    title: 'Security group changes',
    positives: [
      { what: 'AuthorizeSecurityGroupIngress', line: api('ec2.amazonaws.com', 'AuthorizeSecurityGroupIngress', { requestParameters: { groupId: 'sg-0123456789abcdef0', ipPermissions: { items: [{ ipProtocol: 'tcp', fromPort: 22, toPort: 22, ipRanges: { items: [{ cidrIp: '0.0.0.0/0' }] } }] } } }) },
      { what: 'RevokeSecurityGroupEgress', line: api('ec2.amazonaws.com', 'RevokeSecurityGroupEgress', { requestParameters: { groupId: 'sg-0123456789abcdef0' } }) },
      { what: 'CreateSecurityGroup', line: api('ec2.amazonaws.com', 'CreateSecurityGroup', { requestParameters: { groupName: 'debug', groupDescription: 'temporary', vpcId: 'vpc-0a1b2c3d4e5f60718' } }) },
      { what: 'DeleteSecurityGroup', line: api('ec2.amazonaws.com', 'DeleteSecurityGroup', { requestParameters: { groupId: 'sg-0fedcba9876543210' } }) },
    ],
    negatives: [
      { what: 'DescribeSecurityGroups (a read)', line: api('ec2.amazonaws.com', 'DescribeSecurityGroups', { requestParameters: { maxResults: 100 } }) },
      { what: 'AuthorizeClientVpnIngress (a Client VPN rule, not a security group)', line: api('ec2.amazonaws.com', 'AuthorizeClientVpnIngress', { requestParameters: { clientVpnEndpointId: 'cvpn-endpoint-0123456789abcdef0', targetNetworkCidr: '10.0.0.0/16' } }) },
      { what: 'CreateNetworkAclEntry (a network ACL, not a security group)', line: api('ec2.amazonaws.com', 'CreateNetworkAclEntry', { requestParameters: { networkAclId: 'acl-0123456789abcdef0', ruleNumber: 100 } }) },
    ],
  },
];

/** Every sample line, in CONTROLS order (positives then negatives of each): what TestMetricFilter is sent. */
export const SAMPLE_LINES: readonly string[] = CONTROLS.flatMap((c) => [...c.positives, ...c.negatives].map((s) => s.line));
