import { runSimulation } from '@cloud-copilot/iam-simulate';
import { roleCalls } from '../../labs/artifact-repositories/calls';
import { PULL_ACTIONS, PUSH_ACTIONS } from '../../labs/artifact-repositories/contract';
import { lab } from '../../labs/artifact-repositories/lab';
import { repositoryPolicy } from '../../labs/artifact-repositories/solution';
import { proveRoleCalls } from '../../lib/policy/proof';
import type { Template } from '../../lib/policy/intrinsics';
import { templatePolicies } from '../../lib/policy/template-policies';
import { describeFinding, validatePolicies } from '../../lib/policy/validate';
import { managedPolicy } from '../support/managed-policies';
import { labTargets } from '../support/policy-targets';
import { evaluateLifecycle, tagPatternMatches, type SampleImage } from '../../labs/artifact-repositories/lifecycle-policy';
import { evaluateResourcePolicy, wildcardMatches, type Caller, type PolicyDecision } from '../../labs/artifact-repositories/repository-policy';

const DAY = 24;

function rule(priority: number, selection: Record<string, unknown>, action: Record<string, unknown> = { type: 'expire' }) {
  return { rulePriority: priority, description: `Rule ${priority}`, selection, action };
}

function expiredBy(rules: unknown[], images: SampleImage[]): Record<string, number> {
  const outcome = evaluateLifecycle(JSON.stringify({ rules }), images);
  if (!outcome.evaluable) throw new Error(outcome.reason);
  return Object.fromEntries(outcome.expired);
}

describe('ECR lifecycle policy evaluator', () => {
  // The repositories of the ECR User Guide's "Examples of lifecycle policies", ages in hours.
  const multipleRules: SampleImage[] = [
    { id: 'A', tags: ['beta-1', 'prod-1'], ageHours: 10 * DAY },
    { id: 'B', tags: ['beta-2', 'prod-2'], ageHours: 9 * DAY },
    { id: 'C', tags: ['beta-3'], ageHours: 8 * DAY },
  ];
  const byCount = (prefix: string, count = 1) => ({ tagStatus: 'tagged', tagPrefixList: [prefix], countType: 'imageCountMoreThan', countNumber: count });

  it.each<[string, unknown[], SampleImage[], Record<string, number>]>([
    ['filtering on multiple rules, example A: prod first, then beta', [rule(1, byCount('prod')), rule(2, byCount('beta'))], multipleRules, { A: 1 }],
    ['filtering on multiple rules, example B: beta first, then prod', [rule(1, byCount('beta')), rule(2, byCount('prod'))], multipleRules, { A: 1, B: 1 }],
    [
      'the same with tagPatternList (prod*, beta*)',
      [
        rule(1, { tagStatus: 'tagged', tagPatternList: ['prod*'], countType: 'imageCountMoreThan', countNumber: 1 }),
        rule(2, { tagStatus: 'tagged', tagPatternList: ['beta*'], countType: 'imageCountMoreThan', countNumber: 1 }),
      ],
      multipleRules,
      { A: 1 },
    ],
    [
      'multiple tags in a single rule, example A: images must match every prefix',
      [rule(1, { tagStatus: 'tagged', tagPrefixList: ['alpha', 'beta'], countType: 'sinceImagePushed', countUnit: 'days', countNumber: 5 })],
      [
        { id: 'A', tags: ['alpha-1'], ageHours: 12 * DAY },
        { id: 'B', tags: ['beta-1'], ageHours: 11 * DAY },
        { id: 'C', tags: ['alpha-2', 'beta-2'], ageHours: 10 * DAY },
        { id: 'D', tags: ['alpha-3'], ageHours: 4 * DAY },
        { id: 'E', tags: ['beta-3'], ageHours: 3 * DAY },
        { id: 'F', tags: ['alpha-4', 'beta-4'], ageHours: 2 * DAY },
      ],
      { C: 1 },
    ],
    [
      'multiple tags in a single rule, example B: tags are not exclusive',
      [rule(1, { tagStatus: 'tagged', tagPrefixList: ['alpha', 'beta'], countType: 'imageCountMoreThan', countNumber: 1 })],
      [
        { id: 'A', tags: ['alpha-1', 'beta-1', 'gamma-1'], ageHours: 10 * DAY },
        { id: 'B', tags: ['alpha-2', 'beta-2'], ageHours: 9 * DAY },
        { id: 'C', tags: ['alpha-3', 'beta-3', 'gamma-2'], ageHours: 8 * DAY },
      ],
      { A: 1, B: 1 },
    ],
    [
      'all images, example A: tagStatus any keeps the newest image',
      [rule(1, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 })],
      [
        { id: 'A', tags: ['alpha-1'], ageHours: 4 * DAY },
        { id: 'B', tags: ['beta-1'], ageHours: 3 * DAY },
        { id: 'C', tags: [], ageHours: 2 * DAY },
        { id: 'D', tags: ['alpha-2'], ageHours: 1 * DAY },
      ],
      { A: 1, B: 1, C: 1 },
    ],
    [
      'all images, example B: a later rule counts images earlier rules identified, but cannot expire them',
      [
        rule(1, { tagStatus: 'tagged', tagPrefixList: ['alpha'], countType: 'imageCountMoreThan', countNumber: 1 }),
        rule(2, { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 }),
        rule(3, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }),
      ],
      [
        { id: 'A', tags: ['alpha-1', 'beta-1'], ageHours: 4 * DAY },
        { id: 'B', tags: [], ageHours: 3 * DAY },
        { id: 'C', tags: ['alpha-2'], ageHours: 2 * DAY },
        // "1 day ago" in the guide; D is the older of the two.
        { id: 'D', tags: ['git hash'], ageHours: 22 },
        { id: 'E', tags: [], ageHours: 20 },
      ],
      { A: 1, B: 2, D: 3 },
    ],
    [
      'filtering on image count: keep one untagged image',
      [rule(1, { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 })],
      [
        { id: 'old', tags: [], ageHours: 30 },
        { id: 'new', tags: [], ageHours: 3 },
        { id: 'tagged', tags: ['v1'], ageHours: 40 },
      ],
      { old: 1 },
    ],
    [
      'rules are applied by rulePriority, not by their order in the list',
      [rule(2, byCount('beta')), rule(1, byCount('prod'))],
      multipleRules,
      { A: 1 },
    ],
    ['an archive storage class selects none of the (standard) sample images', [rule(1, { tagStatus: 'any', storageClass: 'archive', countType: 'imageCountMoreThan', countNumber: 0 })], multipleRules, {}],
  ])('%s', (_, rules, images, expected) => {
    expect(expiredBy(rules, images)).toEqual(expected);
  });

  it.each<[string, string, RegExp]>([
    ['sinceImagePulled', JSON.stringify({ rules: [rule(1, { tagStatus: 'any', countType: 'sinceImagePulled', countUnit: 'days', countNumber: 30 })] }), /countType "sinceImagePulled".*pull or transition history/],
    ['a transition action', JSON.stringify({ rules: [rule(1, { tagStatus: 'any', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 30 }, { type: 'transition', targetStorageClass: 'archive' })] }), /action "transition"/],
    ['tagged without a tag list', JSON.stringify({ rules: [rule(1, { tagStatus: 'tagged', countType: 'imageCountMoreThan', countNumber: 1 })] }), /without tagPrefixList or tagPatternList/],
    ['text that is not JSON', '{"rules": [', /not JSON/],
    ['no rules list', '{}', /no rules list/],
  ])('reports %s as not evaluable, saying why', (_, text, reason) => {
    const outcome = evaluateLifecycle(text, multipleRules);
    expect(outcome).toEqual({ evaluable: false, reason: expect.stringMatching(reason) });
  });

  it.each<[string, string, boolean]>([
    ['release-*', 'release-1.0', true],
    ['release-*', 'prerelease-1', false],
    ['*-rc', '1.0-rc', true],
    ['prod*web', 'prod-web', true],
    ['1.0', '1.0', true],
    ['1.0', '1x0', false],
  ])('tag pattern %s on %s: %s', (pattern, tag, expected) => {
    expect(tagPatternMatches(pattern, tag)).toBe(expected);
  });
});

describe('resource policy evaluator', () => {
  const ACCOUNT = '111122223333';
  const REPOSITORY = `arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/doplab/orders-api`;
  const CI: Caller = { arn: `arn:aws:iam::${ACCOUNT}:role/DopLab-artifact-repositories-Ci`, account: ACCOUNT };
  const OTHER: Caller = { arn: `arn:aws:iam::${ACCOUNT}:role/orders-api-developer`, account: ACCOUNT };
  const EXTERNAL: Caller = { arn: 'arn:aws:iam::999988887777:role/ci', account: '999988887777' };
  const PULL = ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'];

  const policy = (...statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
  const allow = (statement: object) => ({ Effect: 'Allow', ...statement });
  const decide = (text: string, caller: Caller, action: string): PolicyDecision =>
    evaluateResourcePolicy(text, { caller, action, resourceArn: REPOSITORY, resourceAccount: ACCOUNT }).decision;

  const STARTING = policy(allow({ Sid: 'AccountPullPush', Principal: '*', Action: [...PULL, 'ecr:PutImage'], Condition: { StringEquals: { 'aws:PrincipalAccount': ACCOUNT } } }));
  const CI_ONLY = policy(allow({ Principal: { AWS: CI.arn }, Action: PULL }));

  const CASES: [string, string, Caller, string, PolicyDecision][] = [
    ['the starting policy: another role of the account may pull', STARTING, OTHER, 'ecr:BatchGetImage', 'allowed'],
    ['the starting policy: the CI role may push', STARTING, CI, 'ecr:PutImage', 'allowed'],
    ['the starting policy: another account may not pull', STARTING, EXTERNAL, 'ecr:BatchGetImage', 'implicitDeny'],
    ['the CI role as principal: it may pull', CI_ONLY, CI, 'ecr:GetDownloadUrlForLayer', 'allowed'],
    ['the CI role as principal: another role may not pull', CI_ONLY, OTHER, 'ecr:BatchGetImage', 'implicitDeny'],
    ['the CI role as principal: it may not push', CI_ONLY, CI, 'ecr:PutImage', 'implicitDeny'],
    ['ecr:* for the CI role: it may push', policy(allow({ Principal: { AWS: [CI.arn] }, Action: 'ecr:*' })), CI, 'ecr:UploadLayerPart', 'allowed'],
    ['action wildcards match case-insensitively', policy(allow({ Principal: { AWS: CI.arn }, Action: 'ECR:batch*' })), CI, 'ecr:BatchCheckLayerAvailability', 'allowed'],
    ['"*" with aws:PrincipalArn of the CI role: the CI role may pull', policy(allow({ Principal: { AWS: '*' }, Action: PULL, Condition: { ArnEquals: { 'aws:PrincipalArn': CI.arn } } })), CI, 'ecr:BatchGetImage', 'allowed'],
    ['"*" with aws:PrincipalArn of the CI role: another role may not', policy(allow({ Principal: '*', Action: PULL, Condition: { StringEquals: { 'aws:PrincipalArn': CI.arn } } })), OTHER, 'ecr:BatchGetImage', 'implicitDeny'],
    ['condition keys are case-insensitive; ArnLike takes wildcards', policy(allow({ Principal: '*', Action: PULL, Condition: { ArnLike: { 'AWS:principalarn': 'arn:aws:iam::*:role/DopLab-*-Ci' } } })), CI, 'ecr:BatchGetImage', 'allowed'],
    ['the account root as principal only delegates to identity policies in the same account', policy(allow({ Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: PULL })), CI, 'ecr:BatchGetImage', 'implicitDeny'],
    ['an account id as principal grants a cross-account caller the resource side', policy(allow({ Principal: { AWS: '999988887777' }, Action: PULL })), EXTERNAL, 'ecr:BatchGetImage', 'allowed'],
    ['an explicit deny wins over an allow', policy(allow({ Principal: '*', Action: 'ecr:*' }), { Effect: 'Deny', Principal: '*', Action: 'ecr:PutImage' }), CI, 'ecr:PutImage', 'explicitDeny'],
    ['a deny for the account root covers its roles', policy(allow({ Principal: { AWS: CI.arn }, Action: 'ecr:*' }), { Effect: 'Deny', Principal: { AWS: ACCOUNT }, Action: 'ecr:PutImage' }), CI, 'ecr:PutImage', 'explicitDeny'],
    ['a deny with StringNotEquals aws:PrincipalArn spares the CI role', policy(allow({ Principal: '*', Action: PULL }), { Effect: 'Deny', Principal: '*', Action: PULL, Condition: { StringNotEquals: { 'aws:PrincipalArn': [CI.arn] } } }), CI, 'ecr:BatchGetImage', 'allowed'],
    ['…and denies another role', policy(allow({ Principal: '*', Action: PULL }), { Effect: 'Deny', Principal: '*', Action: PULL, Condition: { StringNotEquals: { 'aws:PrincipalArn': [CI.arn] } } }), OTHER, 'ecr:BatchGetImage', 'explicitDeny'],
    ['NotAction grants everything else', policy(allow({ Principal: { AWS: CI.arn }, NotAction: ['ecr:Put*', 'ecr:*Upload*'] })), CI, 'ecr:BatchGetImage', 'allowed'],
    ['NotAction leaves out what it lists', policy(allow({ Principal: { AWS: CI.arn }, NotAction: ['ecr:Put*', 'ecr:*Upload*'] })), CI, 'ecr:PutImage', 'implicitDeny'],
    ['NotPrincipal on a deny spares the principal it lists', policy(allow({ Principal: '*', Action: PULL }), { Effect: 'Deny', NotPrincipal: { AWS: CI.arn }, Action: PULL }), CI, 'ecr:BatchGetImage', 'allowed'],
    ['a Resource that is another repository does not apply', policy(allow({ Principal: '*', Action: PULL, Resource: `arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/other` })), CI, 'ecr:BatchGetImage', 'implicitDeny'],
    ['a service principal is not a role', policy(allow({ Principal: { Service: 'codebuild.amazonaws.com' }, Action: PULL })), CI, 'ecr:BatchGetImage', 'implicitDeny'],
    ['IfExists operators evaluate like the plain ones when the key is present', policy(allow({ Principal: '*', Action: PULL, Condition: { StringEqualsIfExists: { 'aws:PrincipalArn': CI.arn } } })), OTHER, 'ecr:BatchGetImage', 'implicitDeny'],
    ['Null false on a present key holds', policy(allow({ Principal: '*', Action: PULL, Condition: { Null: { 'aws:PrincipalArn': 'false' }, StringEquals: { 'aws:PrincipalArn': CI.arn } } })), CI, 'ecr:BatchGetImage', 'allowed'],
    ['a condition key it does not model makes an allow unknown', policy(allow({ Principal: '*', Action: PULL, Condition: { StringEquals: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } } })), OTHER, 'ecr:BatchGetImage', 'unknown'],
    ['an unmodelled deny next to a granting allow is unknown', policy(allow({ Principal: { AWS: CI.arn }, Action: PULL }), { Effect: 'Deny', Principal: '*', Action: PULL, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }), CI, 'ecr:BatchGetImage', 'unknown'],
    ['a single statement object is read like a list', JSON.stringify({ Version: '2012-10-17', Statement: allow({ Principal: { AWS: CI.arn }, Action: 'ecr:BatchGetImage' }) }), CI, 'ecr:BatchGetImage', 'allowed'],
  ];

  it.each(CASES)('%s', (_, text, caller, action, expected) => {
    expect(decide(text, caller, action)).toBe(expected);
  });

  // @cloud-copilot/iam-simulate (AGPL, a devDependency: tests only, never the checker) as an independent oracle. A caller
  // of another account gets an identity policy that allows everything, so that only the repository policy decides.
  it.each(CASES.filter(([, , , , expected]) => expected !== 'unknown'))('agrees with iam-simulate: %s', async (_, text, caller, action, expected) => {
    const role = caller.arn.split('/').pop();
    const crossAccount = caller.account !== ACCOUNT;
    const response = await runSimulation(
      {
        identityPolicies: crossAccount ? [{ name: 'all', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }] : [],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: JSON.parse(text) as Record<string, unknown>,
        request: {
          action,
          principal: `arn:aws:sts::${caller.account}:assumed-role/${role}/build-1`,
          resource: { accountId: ACCOUNT, resource: REPOSITORY },
          contextVariables: { 'aws:PrincipalAccount': caller.account, 'aws:PrincipalArn': caller.arn },
        },
      },
      {},
    );
    if (response.resultType !== 'single') throw new Error(JSON.stringify(response));
    const decision = { Allowed: 'allowed', ExplicitlyDenied: 'explicitDeny', ImplicitlyDenied: 'implicitDeny' }[response.overallResult as string];
    expect(decision).toBe(expected);
  });

  describe('on a CodeArtifact domain policy', () => {
    const DOMAIN = `arn:aws:codeartifact:eu-west-1:${ACCOUNT}:domain/doplab-artifact-repositories`;
    const SHARED = policy(allow({ Principal: { AWS: 'arn:aws:iam::999988887777:root' }, Action: ['codeartifact:GetAuthorizationToken', 'codeartifact:ReadFromRepository'], Resource: '*' }));
    it.each<[string, Caller, string, PolicyDecision]>([
      ['another account, named by its root, may get a token', EXTERNAL, 'codeartifact:GetAuthorizationToken', 'allowed'],
      ['another account may not create repositories', EXTERNAL, 'codeartifact:CreateRepository', 'implicitDeny'],
      ['a role of the owning account gets nothing from it (identity policies decide)', OTHER, 'codeartifact:GetAuthorizationToken', 'implicitDeny'],
    ])('%s', (_, caller, action, expected) => {
      expect(evaluateResourcePolicy(SHARED, { caller, action, resourceArn: DOMAIN, resourceAccount: ACCOUNT }).decision).toBe(expected);
    });

    it('reports aws:PrincipalOrgID, which it does not model, as unknown', () => {
      const byOrg = policy(allow({ Principal: '*', Action: 'codeartifact:GetAuthorizationToken', Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } } }));
      expect(evaluateResourcePolicy(byOrg, { caller: EXTERNAL, action: 'codeartifact:GetAuthorizationToken', resourceArn: DOMAIN, resourceAccount: ACCOUNT })).toEqual({
        decision: 'unknown',
        statement: '#1',
        reason: 'condition key aws:PrincipalOrgID',
      });
    });
  });

  it('names the statement that decided, by Sid or position', () => {
    expect(evaluateResourcePolicy(STARTING, { caller: OTHER, action: 'ecr:BatchGetImage', resourceArn: REPOSITORY, resourceAccount: ACCOUNT })).toEqual({
      decision: 'allowed',
      statement: '"AccountPullPush"',
    });
    expect(evaluateResourcePolicy(CI_ONLY, { caller: CI, action: 'ecr:BatchGetImage', resourceArn: REPOSITORY, resourceAccount: ACCOUNT })).toEqual({ decision: 'allowed', statement: '#1' });
  });

  it('answers unknown, not a crash, for text that is not JSON', () => {
    expect(evaluateResourcePolicy('{', { caller: CI, action: 'ecr:BatchGetImage', resourceArn: REPOSITORY, resourceAccount: ACCOUNT })).toEqual({ decision: 'unknown', reason: 'the policy is not JSON' });
  });

  it.each<[string, string, boolean]>([
    ['ecr:*', 'ecr:PutImage', true],
    ['ecr:Get?ownloadUrlForLayer', 'ecr:GetDownloadUrlForLayer', true],
    ['ecr:Batch*', 'ecr:PutImage', false],
    ['arn:aws:ecr:*:*:repository/doplab/*', REPOSITORY, true],
  ])('wildcard %s on %s: %s', (pattern, value, expected) => {
    expect(wildcardMatches(pattern, value, true)).toBe(expected);
  });
});

// The shared proofs (test/policy/) simulate the starting template; here the same template with the repository policy the
// solution sets: the CI role still pulls through it, the flaw (every principal of the account pulls and pushes) is gone.
describe('the repository policy, started and solved, simulated with @cloud-copilot/iam-simulate', () => {
  const cleanupPulls = (deniedBecause?: string) => ({
    role: 'Cleanup/Handler/Role',
    purpose: 'another role of the account',
    calls: (env: { partition: string; region: string; account: string }) =>
      [...PULL_ACTIONS, ...PUSH_ACTIONS].map((action) => ({ action, resource: `arn:${env.partition}:ecr:${env.region}:${env.account}:repository/doplab/orders-api`, ...(deniedBecause ? { deniedBecause } : {}) })),
  });

  it('lets every role of the account pull and push at the start, and only the CI role pull once solved', async () => {
    const [target] = await labTargets([lab]);
    const ciRole = roleCalls.find((r) => r.role === 'CiRole')!;
    const started = await proveRoleCalls(target.title, target.policies, [ciRole, cleanupPulls()], target.env);
    // The starting flaw: the cleanup role, which no statement names, pulls and pushes.
    expect(started.filter((f) => !f.includes('declares no calls'))).toEqual([]);

    const ciRoleArn = target.policies.roles.find((r) => r.path === 'CiRole')!.arn;
    const [repositoryId] = Object.entries(target.template.Resources).find(([, r]) => r.Type === 'AWS::ECR::Repository')!;
    const repository = target.template.Resources[repositoryId];
    const solvedTemplate: Template = {
      ...target.template,
      Resources: { ...target.template.Resources, [repositoryId]: { ...repository, Properties: { ...repository.Properties, RepositoryPolicyText: JSON.parse(repositoryPolicy(ciRoleArn)) as unknown } } },
    };
    const solved = templatePolicies(solvedTemplate, target.env, { managedPolicy });
    expect((await validatePolicies(target.title, solved.policies)).map(describeFinding)).toEqual([]);
    const failures = await proveRoleCalls(target.title, solved, [ciRole, cleanupPulls('the solved policy names only the CI role')], target.env);
    expect(failures.filter((f) => !f.includes('declares no calls'))).toEqual([]);
    // Control: the CI role may not push through the solved policy.
    const ciPush = { role: 'CiRole', purpose: 'CI push', calls: (env: { partition: string; region: string; account: string }) => [{ action: 'ecr:PutImage', resource: `arn:${env.partition}:ecr:${env.region}:${env.account}:repository/doplab/orders-api` }] };
    expect(await proveRoleCalls(target.title, solved, [ciPush], target.env)).toEqual(expect.arrayContaining([expect.stringContaining('ecr:PutImage on arn:aws:ecr:eu-west-1:111122223333:repository/doplab/orders-api is ImplicitlyDenied')]));
  });
});
