import 'aws-sdk-client-mock-jest';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  AssociateExternalConnectionCommand,
  CodeartifactClient,
  CreateRepositoryCommand,
  DescribeRepositoryCommand,
  UpdateRepositoryCommand,
} from '@aws-sdk/client-codeartifact';
import {
  BatchGetRepositoryScanningConfigurationCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetLifecyclePolicyCommand,
  GetRegistryScanningConfigurationCommand,
  GetRepositoryPolicyCommand,
  PutImageTagMutabilityCommand,
  PutLifecyclePolicyCommand,
  PutRegistryScanningConfigurationCommand,
  SetRepositoryPolicyCommand,
} from '@aws-sdk/client-ecr';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { EXPECTED_EXPIRED, SAMPLE_IMAGES, checker, coversSomeReleaseTag, type ArtifactRepositoriesFacts } from '../../checkers/artifact-repositories';
import { AwsSession, isReadOnlyAction } from '../../lib/aws/clients';
import type { Status } from '../../lib/checker';
import { checkerActions, gatherFacts } from '../../lib/engine';
import { loadFactsFile } from '../../lib/facts-file';
import type { SolutionContext } from '../../lib/lab';
import { solutionActions } from '../../labs/artifact-repositories/calls';
import { Outputs } from '../../labs/artifact-repositories/contract';
import { lab } from '../../labs/artifact-repositories/lab';
import { LIFECYCLE_POLICY, UPSTREAM_REPOSITORY_NAME, repositoryPolicy, solve, withScanOnPush } from '../../labs/artifact-repositories/solution';
import {
  ACCOUNT,
  CI_ROLE_ARN,
  DEPLOYED_STACK,
  DOMAIN,
  NPM,
  REGION,
  REPOSITORY,
  REPOSITORY_ARN,
  STACK_NAME,
  mockWorld,
  solvedWorld,
  startingWorld,
  type AwsWorld,
} from '../fixtures/artifact-repositories/aws-world';
import { CREDENTIALS, GATHERED_AT, IDENTITY, SDK_MODULES, gatherWorld } from '../fixtures/artifact-repositories/gather-world';
import { MockedSession, awsError } from '../support/mocked-session';
import { checkFinder, factsRunner } from '../support/checker-tests';

const CHECK_IDS = ['tags-immutable', 'scan-on-push', 'lifecycle-behaviour', 'pull-only-ci', 'npm-upstream', 'scan-findings'] as const;
type CheckId = (typeof CHECK_IDS)[number];

function load(path: string) {
  return loadFactsFile(path, checker.labId, checker.factsSchema);
}

const run = factsRunner(checker, ACCOUNT, REGION);
const find = checkFinder(CHECK_IDS);
const check = (facts: ArtifactRepositoriesFacts, id: CheckId) => find(run(facts), id);

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- fixtures are edited freely in tests
type Mutable<T> = { -readonly [K in keyof T]: any };
const solvedFacts = () => structuredClone(load(lab.examples.solved).facts) as Mutable<ArtifactRepositoriesFacts>;
const startingFacts = () => structuredClone(load(lab.examples.starting).facts) as Mutable<ArtifactRepositoriesFacts>;
const policy = (...statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
const PULL = ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'];

/** The solved facts with the lifecycle policy's rules replaced. */
function withLifecycle(...rules: object[]) {
  const facts = solvedFacts();
  facts.lifecyclePolicy = { ok: true, value: JSON.stringify({ rules }) };
  return facts;
}

function withPolicy(text: string) {
  const facts = solvedFacts();
  facts.repositoryPolicy = { ok: true, value: text };
  return facts;
}

describe('artifact-repositories checker', () => {
  describe('declaration', () => {
    it('has five required checks worth 100 points and one optional, each proving task statement 1.3', () => {
      expect(checker.checks.map((c) => c.id)).toEqual([...CHECK_IDS]);
      expect(checker.checks.filter((c) => !c.optional).reduce((sum, c) => sum + c.points, 0)).toBe(100);
      expect(checker.checks.filter((c) => c.optional).map((c) => c.id)).toEqual(['scan-findings']);
      for (const c of checker.checks) expect(c.taskStatement).toBe('1.3');
    });

    it('declares only read-only actions', () => {
      expect(checkerActions(checker)).toEqual([
        'cloudformation:DescribeStacks',
        'codeartifact:DescribeRepository',
        'ecr:BatchGetRepositoryScanningConfiguration',
        'ecr:DescribeImages',
        'ecr:DescribeRepositories',
        'ecr:GetLifecyclePolicy',
        'ecr:GetRegistryScanningConfiguration',
        'ecr:GetRepositoryPolicy',
      ]);
      expect(checkerActions(checker).every(isReadOnlyAction)).toBe(true);
    });
  });

  describe('checks on facts', () => {
    it('scores 0 on the starting state, failing every required check with a hint', () => {
      const result = run(load(lab.examples.starting).facts);
      expect(result.score).toBe(0);
      expect(result.checks.map((c) => c.status)).toEqual(['FAIL', 'FAIL', 'FAIL', 'FAIL', 'FAIL', 'SKIPPED']);
      for (const c of result.checks) expect(c.hint).toBeTruthy();
      const pull = find(result, 'pull-only-ci');
      expect(pull.evidence?.observed).toBe(
        `another role of the account arn:aws:iam::${ACCOUNT}:role/orders-api-developer: ${PULL.join(', ')}, ecr:PutImage, ecr:InitiateLayerUpload, ` +
          'ecr:UploadLayerPart, ecr:CompleteLayerUpload allowed by statement "AccountPullPush"; ' +
          `the CI role ${CI_ROLE_ARN}: ecr:PutImage, ecr:InitiateLayerUpload, ecr:UploadLayerPart, ecr:CompleteLayerUpload allowed by statement "AccountPullPush"`,
      );
      expect(pull.hint).toMatch(/Principal "\*" limited by aws:PrincipalAccount still admits every principal of the account/);
      expect(find(result, 'lifecycle-behaviour').evidence?.observed).toBe('the repository has no lifecycle policy');
    });

    it('gives full marks, and the optional extra points, on the solved state', () => {
      const result = run(load(lab.examples.solved).facts);
      expect(result.checks.map((c) => c.status)).toEqual(CHECK_IDS.map(() => 'PASS'));
      expect([result.score, result.maxScore]).toEqual([110, 100]);
      expect(find(result, 'scan-findings').evidence?.observed).toBe('image release-1.0 (sha256:9f2c4e1a7b3d) scanned: 2 MEDIUM, 1 LOW');
    });

    it('judges a partial state: tags and scanning done, the rest not', () => {
      const facts = startingFacts();
      const solved = solvedFacts();
      facts.repository = solved.repository;
      facts.registryScanning = solved.registryScanning;
      facts.repositoryScanning = solved.repositoryScanning;
      expect(run(facts).checks.map((c) => c.status)).toEqual(['PASS', 'PASS', 'FAIL', 'FAIL', 'FAIL', 'FAIL']);
      expect(run(facts).score).toBe(35);
    });

    describe('tags-immutable', () => {
      it.each<[string, string, string[], Status, RegExp | undefined]>([
        ['IMMUTABLE', 'IMMUTABLE', [], 'PASS', undefined],
        ['immutable except latest', 'IMMUTABLE_WITH_EXCLUSION', ['latest', 'dev-*'], 'PASS', undefined],
        ['immutable except release-*', 'IMMUTABLE_WITH_EXCLUSION', ['latest', 'release-*'], 'FAIL', /The exclusion release-\* makes release-\* tags mutable/],
        ['immutable except *', 'IMMUTABLE_WITH_EXCLUSION', ['*'], 'FAIL', /The exclusion \*/],
        ['mutable except release-*', 'MUTABLE_WITH_EXCLUSION', ['release-*'], 'FAIL', /outside the exclusions can still be overwritten/],
        ['MUTABLE', 'MUTABLE', [], 'FAIL', /Change the repository's tag mutability/],
      ])('judges %s', (_, mutability, exclusions, expected, hint) => {
        const facts = solvedFacts();
        facts.repository.value.imageTagMutability = mutability;
        facts.repository.value.imageTagMutabilityExclusionFilters = exclusions.map((filter) => ({ filter, filterType: 'WILDCARD' }));
        const c = check(facts, 'tags-immutable');
        expect(c.status).toBe(expected);
        if (hint) expect(c.hint).toMatch(hint);
      });

      it.each<[string, boolean]>([
        ['release-*', true],
        ['rel*', true],
        ['release-1.0', true],
        ['*', true],
        ['*-rc', true],
        ['latest', false],
        ['dev-*', false],
        ['releases', false],
      ])('knows whether the exclusion %s can match a release-* tag (%s)', (filter, expected) => {
        expect(coversSomeReleaseTag(filter)).toBe(expected);
      });

      it('fails with a redeploy hint when the repository is gone', () => {
        const facts = solvedFacts();
        facts.repository = { ok: true, value: null };
        expect(check(facts, 'tags-immutable')).toMatchObject({ status: 'FAIL', hint: expect.stringMatching(/doplab deploy artifact-repositories/) });
      });
    });

    describe('scan-on-push', () => {
      it('passes a registry rule whose filter applies to the repository', () => {
        expect(check(solvedFacts(), 'scan-on-push').evidence?.observed).toBe(
          `registry scan type BASIC, rules: SCAN_ON_PUSH on ${REPOSITORY}; applied to the repository: SCAN_ON_PUSH, scan on push on (filters ${REPOSITORY})`,
        );
      });

      it('accepts the deprecated repository-level setting, naming the current way', () => {
        const facts = startingFacts();
        facts.repository.value.imageScanningConfiguration = { scanOnPush: true };
        facts.repositoryScanning.value = { ...facts.repositoryScanning.value, scanOnPush: true, scanFrequency: 'SCAN_ON_PUSH', appliedScanFilters: [] };
        const c = check(facts, 'scan-on-push');
        expect(c.status).toBe('PASS');
        expect(c.evidence?.observed).toMatch(/through the deprecated repository-level scanOnPush setting \(the current way: a registry-level basic scanning rule/);
      });

      it('fails enhanced scanning, naming its cost', () => {
        const facts = solvedFacts();
        facts.registryScanning.value.scanType = 'ENHANCED';
        expect(check(facts, 'scan-on-push')).toMatchObject({ status: 'FAIL', hint: expect.stringMatching(/Amazon Inspector, which charges/) });
      });

      it('fails a scan-on-push rule whose filter misses the repository, explaining filters', () => {
        const facts = startingFacts();
        facts.registryScanning.value = { scanType: 'BASIC', rules: [{ scanFrequency: 'SCAN_ON_PUSH', repositoryFilters: [{ filter: 'orders-*', filterType: 'WILDCARD' }] }] };
        expect(check(facts, 'scan-on-push')).toMatchObject({ status: 'FAIL', hint: expect.stringMatching(/namespace included/) });
      });

      it('fails a repository-level scanOnPush that BatchGetRepositoryScanningConfiguration does not report as applied', () => {
        const facts = startingFacts();
        facts.repository.value.imageScanningConfiguration = { scanOnPush: true };
        expect(check(facts, 'scan-on-push').status).toBe('FAIL');
      });

      it('errors, and only itself, when the registry configuration cannot be read', () => {
        const facts = solvedFacts();
        facts.registryScanning = { ok: false, error: { code: 'ACCESS_DENIED', message: 'not authorized', action: 'ecr:GetRegistryScanningConfiguration' } };
        const result = run(facts);
        expect(result.checks.map((c) => c.status)).toEqual(['PASS', 'ERROR', 'PASS', 'PASS', 'PASS', 'SKIPPED']);
        expect(result.checks[1].error).toMatchObject({ action: 'ecr:GetRegistryScanningConfiguration' });
      });
    });

    describe('lifecycle-behaviour', () => {
      const untagged = (days: number, priority = 1) => ({
        rulePriority: priority,
        selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: days },
        action: { type: 'expire' },
      });
      const releases = (selection: object, priority = 2) => ({
        rulePriority: priority,
        selection: { tagStatus: 'tagged', countType: 'imageCountMoreThan', countNumber: 10, ...selection },
        action: { type: 'expire' },
      });

      it('expects exactly the untagged image older than a day and the 4 oldest releases to expire', () => {
        expect(SAMPLE_IMAGES).toHaveLength(19);
        expect(EXPECTED_EXPIRED).toEqual(['untagged, 3 days old', 'release-1.0', 'release-1.1', 'release-1.2', 'release-1.3']);
      });

      it.each<[string, object[], Status, string]>([
        ['the solution (tagPatternList release-*)', LIFECYCLE_POLICY.rules, 'PASS', 'expires exactly untagged, 3 days old, release-1.0, release-1.1, release-1.2, release-1.3'],
        ['tagPrefixList release-, releases first', [releases({ tagPrefixList: ['release-'] }, 1), untagged(1, 2)], 'PASS', 'expires exactly'],
        ['untagged by count (keep 1)', [{ ...untagged(1), selection: { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 } }, releases({ tagPatternList: ['release-*'] })], 'PASS', 'expires exactly'],
        ['untagged after 7 days', [untagged(7), releases({ tagPatternList: ['release-*'] })], 'FAIL', 'keeps untagged, 3 days old, which should expire'],
        ['releases only', [releases({ tagPrefixList: ['release'] }, 1)], 'FAIL', 'keeps untagged, 3 days old, which should expire'],
        ['keep 10 releases and also 10 of anything (trap)', [untagged(1), releases({ tagPrefixList: ['release-'] }), { rulePriority: 3, selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 10 }, action: { type: 'expire' } }], 'FAIL', 'expires dev-7f3a1c2 (rule 3), which should be kept'],
      ])('judges %s', (_, rules, expected, observed) => {
        const c = check(withLifecycle(...rules), 'lifecycle-behaviour');
        expect(c.status).toBe(expected);
        expect(c.evidence?.observed).toContain(observed);
      });

      it('fails the trap of keeping 10 images of any tag, with a hint that names the concept', () => {
        const c = check(withLifecycle(untagged(1), { rulePriority: 2, selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 10 }, action: { type: 'expire' } }), 'lifecycle-behaviour');
        expect(c.status).toBe('FAIL');
        expect(c.evidence?.observed).toBe('expires release-1.4 (rule 2), release-1.5 (rule 2), release-1.6 (rule 2), release-1.7 (rule 2), dev-7f3a1c2 (rule 2), which should be kept');
        expect(c.hint).toMatch(/counts every image \(tagStatus any/);
      });

      it('fails a policy it cannot evaluate, saying why', () => {
        const c = check(withLifecycle(untagged(1), { rulePriority: 2, selection: { tagStatus: 'any', countType: 'sinceImagePulled', countUnit: 'days', countNumber: 90 }, action: { type: 'expire' } }), 'lifecycle-behaviour');
        expect(c).toMatchObject({ status: 'FAIL', evidence: { observed: expect.stringMatching(/^the policy cannot be evaluated on sample images: rule 2 has countType "sinceImagePulled"/) } });
      });
    });

    describe('pull-only-ci', () => {
      it.each<[string, string, Status, RegExp]>([
        ['the CI role as principal with the three pull actions (the solution)', repositoryPolicy(CI_ROLE_ARN), 'PASS', /^the CI role alone may pull/],
        ['"*" with aws:PrincipalArn of the CI role', policy({ Effect: 'Allow', Principal: '*', Action: PULL, Condition: { ArnEquals: { 'aws:PrincipalArn': CI_ROLE_ARN } } }), 'PASS', /^the CI role alone/],
        ['ecr:* for the CI role (trap)', policy({ Effect: 'Allow', Principal: { AWS: CI_ROLE_ARN }, Action: 'ecr:*' }), 'FAIL', /^the CI role .*: ecr:PutImage, ecr:InitiateLayerUpload, ecr:UploadLayerPart, ecr:CompleteLayerUpload allowed by statement #1$/],
        ['the account root, conditioned on the CI role', policy({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: PULL, Condition: { ArnEquals: { 'aws:PrincipalArn': CI_ROLE_ARN } } }), 'FAIL', /^the CI role .*: ecr:BatchGetImage, ecr:GetDownloadUrlForLayer, ecr:BatchCheckLayerAvailability implicitDeny$/],
        ['a push granted to another account', policy({ Effect: 'Allow', Principal: { AWS: CI_ROLE_ARN }, Action: PULL }, { Effect: 'Allow', Principal: { AWS: '999988887777' }, Action: 'ecr:PutImage' }), 'FAIL', /^a role of another account arn:aws:iam::999988887777:role\/ci: ecr:PutImage allowed by statement #2$/],
        ['a condition it does not evaluate', policy({ Effect: 'Allow', Principal: '*', Action: PULL, Condition: { StringEquals: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } } }), 'FAIL', /\(condition key aws:SourceVpce\)/],
      ])('judges %s', (_, text, expected, observed) => {
        const c = check(withPolicy(text), 'pull-only-ci');
        expect(c.status).toBe(expected);
        expect(c.evidence?.observed).toMatch(observed);
      });

      it('hints at the wildcard when the CI role may push, and at delegation when the account root is named', () => {
        expect(check(withPolicy(policy({ Effect: 'Allow', Principal: { AWS: CI_ROLE_ARN }, Action: 'ecr:*' })), 'pull-only-ci').hint).toMatch(/ecr:\* includes the push actions/);
        expect(check(withPolicy(policy({ Effect: 'Allow', Principal: { AWS: ACCOUNT }, Action: PULL })), 'pull-only-ci').hint).toMatch(/only delegates to identity policies/);
      });

      it('fails when the repository has no policy: the CI role cannot pull', () => {
        const facts = solvedFacts();
        facts.repositoryPolicy = { ok: true, value: null };
        expect(check(facts, 'pull-only-ci')).toMatchObject({ status: 'FAIL', evidence: { observed: expect.stringMatching(/^the repository has no repository policy/) } });
      });
    });

    describe('npm-upstream', () => {
      it('fails an external connection on orders-npm itself, explaining the shared upstream', () => {
        const facts = startingFacts();
        facts.npmRepository.value.externalConnections = [{ externalConnectionName: 'public:npmjs', packageFormat: 'npm', status: 'Available' }];
        const c = check(facts, 'npm-upstream');
        expect(c).toMatchObject({ status: 'FAIL', evidence: { observed: 'no upstream repository; its own external connections: public:npmjs' } });
        expect(c.hint).toMatch(/separate repository upstream of it/);
      });

      it('fails an upstream without an external connection', () => {
        const facts = solvedFacts();
        facts.upstreams.value[0].externalConnections = [];
        expect(check(facts, 'npm-upstream')).toMatchObject({ status: 'FAIL', evidence: { observed: `upstreams: ${UPSTREAM_REPOSITORY_NAME} (external connections: none)` } });
      });

      it('fails with a redeploy hint when orders-npm is gone', () => {
        const facts = solvedFacts();
        facts.npmRepository = { ok: true, value: null };
        expect(check(facts, 'npm-upstream')).toMatchObject({ status: 'FAIL', hint: expect.stringMatching(/doplab deploy artifact-repositories/) });
      });
    });

    describe('scan-findings (optional)', () => {
      it.each<[string, Record<string, unknown> | undefined, Status, string]>([
        ['a scan in progress', { status: 'IN_PROGRESS' }, 'PENDING', 'image release-1.0 (sha256:9f2c4e1a7b3d): scan IN_PROGRESS'],
        ['a failed scan', { status: 'UNSUPPORTED_IMAGE', description: 'The operating system is not supported.' }, 'FAIL', 'image release-1.0 (sha256:9f2c4e1a7b3d): scan UNSUPPORTED_IMAGE: The operating system is not supported.'],
        ['an image pushed before scan on push', undefined, 'FAIL', 'image release-1.0 (sha256:9f2c4e1a7b3d): never scanned (pushed before scan on push was on?)'],
      ])('judges %s', (_, status, expected, observed) => {
        const facts = solvedFacts();
        facts.images.value[0].imageScanStatus = status;
        expect(check(facts, 'scan-findings')).toMatchObject({ status: expected, evidence: { observed } });
      });

      it('fails when no image was pushed, without failing the lab', () => {
        const facts = solvedFacts();
        facts.images.value = [];
        const result = run(facts);
        expect(find(result, 'scan-findings').status).toBe('FAIL');
        expect([result.score, result.maxScore]).toEqual([100, 100]);
      });
    });

    it('rejects malformed facts', () => {
      const facts = solvedFacts();
      facts.repositoryArn = 'doplab/orders-api';
      expect(checker.factsSchema.safeParse(facts).success).toBe(false);
      const lifecycle = solvedFacts();
      lifecycle.lifecyclePolicy.value = { rules: [] };
      expect(checker.factsSchema.safeParse(lifecycle).success).toBe(false);
      expect(checker.factsSchema.safeParse(solvedFacts()).success).toBe(true);
    });
  });

  describe('gather', () => {
    it('ships example facts that a gather of the same worlds writes today', async () => {
      for (const [path, world] of [[lab.examples.starting, startingWorld], [lab.examples.solved, solvedWorld]] as const) {
        expect(await gatherWorld(world())).toEqual({ ...load(path), gatheredAt: GATHERED_AT });
      }
    });

    it('sends exactly the declared read-only calls, with the lab repository and domain', async () => {
      const sent: { action: string }[] = [];
      const ecr = mockClient(ECRClient);
      const codeartifact = mockClient(CodeartifactClient);
      const cloudformation = mockClient(CloudFormationClient);
      try {
        mockWorld(solvedWorld(), { ecr, codeartifact, cloudformation });
        const session = new MockedSession({ region: REGION, credentials: CREDENTIALS }, SDK_MODULES);
        await gatherFacts(checker, session, { identity: IDENTITY, listener: (action) => sent.push({ action }) });
        expect(ecr.commandCalls(DescribeRepositoriesCommand).map((c) => c.args[0].input)).toEqual([{ repositoryNames: [REPOSITORY] }]);
        expect(ecr.commandCalls(GetRegistryScanningConfigurationCommand).map((c) => c.args[0].input)).toEqual([{}]);
        expect(ecr.commandCalls(BatchGetRepositoryScanningConfigurationCommand).map((c) => c.args[0].input)).toEqual([{ repositoryNames: [REPOSITORY] }]);
        expect(ecr.commandCalls(GetLifecyclePolicyCommand).map((c) => c.args[0].input)).toEqual([{ repositoryName: REPOSITORY }]);
        expect(ecr.commandCalls(GetRepositoryPolicyCommand).map((c) => c.args[0].input)).toEqual([{ repositoryName: REPOSITORY }]);
        expect(ecr.commandCalls(DescribeImagesCommand).map((c) => c.args[0].input)).toEqual([{ repositoryName: REPOSITORY, maxResults: 100 }]);
        expect(codeartifact.commandCalls(DescribeRepositoryCommand).map((c) => c.args[0].input)).toEqual([
          { domain: DOMAIN, repository: NPM },
          { domain: DOMAIN, repository: UPSTREAM_REPOSITORY_NAME },
        ]);
        expect([...new Set(sent.map((s) => s.action))].sort()).toEqual(checkerActions(checker));
      } finally {
        ecr.restore();
        codeartifact.restore();
        cloudformation.restore();
      }
    });

    it('needs three sequential round trips: the stack, every read in parallel, then the upstreams orders-npm names', async () => {
      const ecr = mockClient(ECRClient);
      const codeartifact = mockClient(CodeartifactClient);
      const cloudformation = mockClient(CloudFormationClient);
      let finished = 0;
      const rounds: Record<string, number[]> = {};
      const slow = <T>(name: string, answer: (input: { repository?: string }) => T) => async (input: { repository?: string }) => {
        const round = finished + 1;
        rounds[name] = [...(rounds[name] ?? []), round];
        await new Promise((resolve) => setTimeout(resolve, 20));
        finished = Math.max(finished, round);
        return answer(input);
      };
      try {
        const world = solvedWorld();
        mockWorld(world, { ecr, codeartifact, cloudformation });
        cloudformation.on(DescribeStacksCommand).callsFake(slow('DescribeStacks', () => DEPLOYED_STACK));
        ecr.on(DescribeRepositoriesCommand).callsFake(slow('DescribeRepositories', () => ({})));
        ecr.on(GetRegistryScanningConfigurationCommand).callsFake(slow('GetRegistryScanningConfiguration', () => ({})));
        ecr.on(BatchGetRepositoryScanningConfigurationCommand).callsFake(slow('BatchGetRepositoryScanningConfiguration', () => ({})));
        ecr.on(GetLifecyclePolicyCommand).callsFake(slow('GetLifecyclePolicy', () => ({})));
        ecr.on(GetRepositoryPolicyCommand).callsFake(slow('GetRepositoryPolicy', () => ({})));
        ecr.on(DescribeImagesCommand).callsFake(slow('DescribeImages', () => ({})));
        codeartifact.on(DescribeRepositoryCommand).callsFake(slow('DescribeRepository', (input) => ({ repository: world.codeartifact[input.repository ?? ''] })));
        await gatherFacts(checker, new MockedSession({ region: REGION, credentials: CREDENTIALS }, SDK_MODULES), { identity: IDENTITY });
        expect(rounds).toEqual({
          DescribeStacks: [1],
          DescribeRepositories: [2],
          GetRegistryScanningConfiguration: [2],
          BatchGetRepositoryScanningConfiguration: [2],
          GetLifecyclePolicy: [2],
          GetRepositoryPolicy: [2],
          DescribeImages: [2],
          DescribeRepository: [2, 3],
        });
      } finally {
        ecr.restore();
        codeartifact.restore();
        cloudformation.restore();
      }
    });

    it('reads no upstream when orders-npm names none', async () => {
      const file = await gatherWorld(startingWorld());
      expect((file.facts as ArtifactRepositoriesFacts).upstreams).toBeUndefined();
    });

    it('records missing policies and a missing repository as null, so the checks fail rather than error', async () => {
      const world: AwsWorld = { ...startingWorld(), repository: null, repositoryPolicy: null };
      const facts = (await gatherWorld(world)).facts as ArtifactRepositoriesFacts;
      expect([facts.repository, facts.repositoryScanning, facts.lifecyclePolicy, facts.repositoryPolicy]).toEqual([
        { ok: true, value: null },
        { ok: true, value: null },
        { ok: true, value: null },
        { ok: true, value: null },
      ]);
      expect(run(facts).checks.map((c) => c.status)).toEqual(['FAIL', 'FAIL', 'FAIL', 'FAIL', 'FAIL', 'SKIPPED']);
    });

    it('records an AWS error on one read as an ERROR of the checks that need it only', async () => {
      const ecr = mockClient(ECRClient);
      const codeartifact = mockClient(CodeartifactClient);
      const cloudformation = mockClient(CloudFormationClient);
      try {
        mockWorld(solvedWorld(), { ecr, codeartifact, cloudformation });
        codeartifact.on(DescribeRepositoryCommand).rejects(awsError('AccessDeniedException', 'User is not authorized to perform: codeartifact:DescribeRepository', 403));
        const file = await gatherFacts(checker, new MockedSession({ region: REGION, credentials: CREDENTIALS }, SDK_MODULES), { identity: IDENTITY });
        const result = run(file.facts as ArtifactRepositoriesFacts);
        expect(result.checks.map((c) => c.status)).toEqual(['PASS', 'PASS', 'PASS', 'PASS', 'ERROR', 'PASS']);
        expect(result.checks[4].error).toMatchObject({ code: 'ACCESS_DENIED', action: 'codeartifact:DescribeRepository' });
      } finally {
        ecr.restore();
        codeartifact.restore();
        cloudformation.restore();
      }
    });
  });

  describe('solution', () => {
    let ecr: AwsClientStub<ECRClient>;
    let codeartifact: AwsClientStub<CodeartifactClient>;

    beforeEach(() => {
      ecr = mockClient(ECRClient);
      codeartifact = mockClient(CodeartifactClient);
      ecr.on(GetRegistryScanningConfigurationCommand).resolves({ registryId: ACCOUNT, scanningConfiguration: { scanType: 'BASIC', rules: [] } });
      ecr.on(PutImageTagMutabilityCommand).resolves({});
      ecr.on(PutRegistryScanningConfigurationCommand).resolves({});
      ecr.on(PutLifecyclePolicyCommand).resolves({});
      ecr.on(SetRepositoryPolicyCommand).resolves({});
      codeartifact.on(CreateRepositoryCommand).resolves({});
      codeartifact.on(AssociateExternalConnectionCommand).resolves({});
      codeartifact.on(UpdateRepositoryCommand).resolves({});
    });
    afterEach(() => {
      ecr.restore();
      codeartifact.restore();
    });

    function context(lines: string[] = []): SolutionContext<typeof Outputs> {
      const session = new AwsSession({ region: REGION, credentials: CREDENTIALS });
      return {
        outputs: { repositoryName: REPOSITORY, repositoryArn: REPOSITORY_ARN, ciRoleArn: CI_ROLE_ARN, domainName: DOMAIN, npmRepositoryName: NPM },
        region: REGION,
        account: ACCOUNT,
        client: (ctor) => session.client(ctor, REGION),
        log: (line) => lines.push(line),
      };
    }

    it('performs every task through the SDK, in order', async () => {
      const lines: string[] = [];
      await solve(context(lines));
      expect(ecr.commandCalls(PutImageTagMutabilityCommand)[0].args[0].input).toEqual({ repositoryName: REPOSITORY, imageTagMutability: 'IMMUTABLE' });
      expect(ecr.commandCalls(PutRegistryScanningConfigurationCommand)[0].args[0].input).toEqual({
        scanType: 'BASIC',
        rules: [{ scanFrequency: 'SCAN_ON_PUSH', repositoryFilters: [{ filter: REPOSITORY, filterType: 'WILDCARD' }] }],
      });
      expect(JSON.parse(ecr.commandCalls(PutLifecyclePolicyCommand)[0].args[0].input.lifecyclePolicyText ?? '')).toEqual(LIFECYCLE_POLICY);
      expect(JSON.parse(ecr.commandCalls(SetRepositoryPolicyCommand)[0].args[0].input.policyText ?? '')).toEqual({
        Version: '2012-10-17',
        Statement: [{ Sid: 'CiPullOnly', Effect: 'Allow', Principal: { AWS: CI_ROLE_ARN }, Action: PULL }],
      });
      expect(codeartifact.commandCalls(CreateRepositoryCommand)[0].args[0].input).toMatchObject({ domain: DOMAIN, repository: UPSTREAM_REPOSITORY_NAME, tags: [{ key: 'doplab:lab', value: 'artifact-repositories' }] });
      expect(codeartifact.commandCalls(AssociateExternalConnectionCommand)[0].args[0].input).toEqual({ domain: DOMAIN, repository: UPSTREAM_REPOSITORY_NAME, externalConnection: 'public:npmjs' });
      expect(codeartifact.commandCalls(UpdateRepositoryCommand)[0].args[0].input).toEqual({ domain: DOMAIN, repository: NPM, upstreams: [{ repositoryName: UPSTREAM_REPOSITORY_NAME }] });
      expect(lines).toHaveLength(5);
    });

    it('sends exactly the actions calls.ts lists as the solution\'s', async () => {
      await solve(context());
      const sent = [...ecr.calls(), ...codeartifact.calls()].map((c) => c.args[0].constructor.name.replace(/Command$/, ''));
      expect(sent.sort()).toEqual(solutionActions.map((a) => a.split(':')[1]).sort());
    });

    it('leaves a state that passes every required check', async () => {
      await solve(context());
      const facts = startingFacts();
      facts.repository.value.imageTagMutability = ecr.commandCalls(PutImageTagMutabilityCommand)[0].args[0].input.imageTagMutability;
      facts.registryScanning.value = ecr.commandCalls(PutRegistryScanningConfigurationCommand)[0].args[0].input;
      facts.repositoryScanning.value = { ...facts.repositoryScanning.value, scanOnPush: true, scanFrequency: 'SCAN_ON_PUSH', appliedScanFilters: [{ filter: REPOSITORY, filterType: 'WILDCARD' }] };
      facts.lifecyclePolicy.value = ecr.commandCalls(PutLifecyclePolicyCommand)[0].args[0].input.lifecyclePolicyText;
      facts.repositoryPolicy.value = ecr.commandCalls(SetRepositoryPolicyCommand)[0].args[0].input.policyText;
      facts.npmRepository.value.upstreams = codeartifact.commandCalls(UpdateRepositoryCommand)[0].args[0].input.upstreams;
      facts.upstreams = { ok: true, value: [{ name: UPSTREAM_REPOSITORY_NAME, externalConnections: [{ externalConnectionName: codeartifact.commandCalls(AssociateExternalConnectionCommand)[0].args[0].input.externalConnection }] }] };
      expect(run(facts).checks.filter((c) => !c.optional && c.status !== 'PASS')).toEqual([]);
    });

    it("keeps the registry's other scanning rules, adding the repository's filter to its scan-on-push rule", () => {
      const other = { filter: 'payments/*', filterType: 'WILDCARD' as const };
      expect(withScanOnPush([{ scanFrequency: 'SCAN_ON_PUSH', repositoryFilters: [other] }], REPOSITORY)).toEqual([
        { scanFrequency: 'SCAN_ON_PUSH', repositoryFilters: [other, { filter: REPOSITORY, filterType: 'WILDCARD' }] },
      ]);
      const covering = [{ scanFrequency: 'SCAN_ON_PUSH' as const, repositoryFilters: [{ filter: 'doplab/*', filterType: 'WILDCARD' as const }] }];
      expect(withScanOnPush(covering, REPOSITORY)).toEqual(covering);
    });

    it('carries on when the upstream repository and its connection already exist (a second run)', async () => {
      codeartifact.on(CreateRepositoryCommand).rejects(awsError('ConflictException', `Repository ${UPSTREAM_REPOSITORY_NAME} already exists`, 409));
      codeartifact.on(AssociateExternalConnectionCommand).rejects(awsError('ConflictException', 'External connection public:npmjs already exists', 409));
      await solve(context());
      expect(codeartifact.commandCalls(UpdateRepositoryCommand)).toHaveLength(1);
    });

    it('refuses to switch off enhanced scanning, saying what to do', async () => {
      ecr.on(GetRegistryScanningConfigurationCommand).resolves({ registryId: ACCOUNT, scanningConfiguration: { scanType: 'ENHANCED', rules: [] } });
      await expect(solve(context())).rejects.toMatchObject({ message: expect.stringMatching(/uses ENHANCED scanning/), hint: expect.stringMatching(/basic scanning/) });
      expect(ecr.commandCalls(PutRegistryScanningConfigurationCommand)).toHaveLength(0);
    });
  });

  it('names the stack it reads', () => {
    expect(STACK_NAME).toBe(`DopLab-${lab.id}`);
  });
});
