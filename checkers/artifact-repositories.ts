// Checker of the artifact-repositories lab: SDK only (never aws-cdk-lib), read-only calls. The lifecycle policy and the
// repository policy are judged by behaviour, in pure code (labs/artifact-repositories/*-policy.ts): the IAM simulator
// does not evaluate ECR repository policies, and ECR's lifecycle preview is a write (StartLifecyclePolicyPreview).
import { CodeartifactClient, DescribeRepositoryCommand, type RepositoryDescription } from '@aws-sdk/client-codeartifact';
import {
  BatchGetRepositoryScanningConfigurationCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetLifecyclePolicyCommand,
  GetRegistryScanningConfigurationCommand,
  GetRepositoryPolicyCommand,
  type ImageDetail,
  type RegistryScanningConfiguration,
  type Repository,
  type RepositoryScanningConfiguration,
} from '@aws-sdk/client-ecr';
import { z } from 'zod';
import { awsErrorName } from '../lib/aws/errors';
import { defineChecker, type Check, type Verdict } from '../lib/checker';
import { factSchema, need, readFact, type Fact } from '../lib/facts';
import { allPages, byName, jsonified, type Jsonified } from '../lib/sdk-facts';
import {
  LAB_ID,
  NPM_EXTERNAL_CONNECTION,
  NPM_REPOSITORY_NAME,
  Outputs,
  PULL_ACTIONS,
  PUSH_ACTIONS,
  RELEASE_TAG_PREFIX,
  RELEASES_KEPT,
  UNTAGGED_DAYS,
} from '../labs/artifact-repositories/contract';
import { evaluateLifecycle, type SampleImage } from '../labs/artifact-repositories/lifecycle-policy';
import { evaluateResourcePolicy, type Caller, type PolicyAnswer } from '../labs/artifact-repositories/repository-policy';

// ---------------------------------------------------------------------------------------------
// Facts
// ---------------------------------------------------------------------------------------------

/** What gather reads; each AWS read is a Fact so one failure only ERRORs the checks that need it. */
export interface ArtifactRepositoriesFacts {
  readonly region: string;
  /** Stack outputs. */
  readonly repositoryName: string;
  readonly repositoryArn: string;
  readonly ciRoleArn: string;
  readonly domainName: string;
  readonly npmRepositoryName: string;
  /** DescribeRepositories of the lab repository; null when it does not exist. */
  readonly repository: Fact<Jsonified<Repository> | null>;
  /** GetRegistryScanningConfiguration: the account's scanning configuration in the region. */
  readonly registryScanning: Fact<Jsonified<RegistryScanningConfiguration>>;
  /** BatchGetRepositoryScanningConfiguration of the lab repository: what applies to it; null when it does not exist. */
  readonly repositoryScanning: Fact<Jsonified<RepositoryScanningConfiguration> | null>;
  /** GetLifecyclePolicy's policy text; null when the repository has none. */
  readonly lifecyclePolicy: Fact<string | null>;
  /** GetRepositoryPolicy's policy text; null when the repository has none. */
  readonly repositoryPolicy: Fact<string | null>;
  /** DescribeImages of the lab repository, every page. */
  readonly images: Fact<Jsonified<ImageDetail>[]>;
  /** CodeArtifact DescribeRepository of orders-npm; null when it does not exist. */
  readonly npmRepository: Fact<Jsonified<RepositoryDescription> | null>;
  /** DescribeRepository of each upstream orders-npm names; absent when it names none. */
  readonly upstreams?: Fact<Jsonified<RepositoryDescription>[]>;
}

const scanFilterSchema = z.looseObject({ filter: z.string().optional(), filterType: z.string().optional() });

const repositorySchema = z.looseObject({
  repositoryName: z.string().optional(),
  repositoryArn: z.string().optional(),
  imageTagMutability: z.string().optional(),
  imageTagMutabilityExclusionFilters: z.array(scanFilterSchema).optional(),
  imageScanningConfiguration: z.looseObject({ scanOnPush: z.boolean().optional() }).optional(),
});

const registryScanningSchema = z.looseObject({
  scanType: z.string().optional(),
  rules: z.array(z.looseObject({ scanFrequency: z.string().optional(), repositoryFilters: z.array(scanFilterSchema).optional() })).optional(),
});

const repositoryScanningSchema = z.looseObject({
  repositoryName: z.string().optional(),
  scanOnPush: z.boolean().optional(),
  scanFrequency: z.string().optional(),
  appliedScanFilters: z.array(scanFilterSchema).optional(),
});

const imageSchema = z.looseObject({
  imageDigest: z.string().optional(),
  imageTags: z.array(z.string()).optional(),
  imagePushedAt: z.string().optional(),
  imageScanStatus: z.looseObject({ status: z.string().optional(), description: z.string().optional() }).optional(),
  imageScanFindingsSummary: z.looseObject({ findingSeverityCounts: z.record(z.string(), z.number()).optional() }).optional(),
});

const codeArtifactRepositorySchema = z.looseObject({
  name: z.string().optional(),
  domainName: z.string().optional(),
  upstreams: z.array(z.looseObject({ repositoryName: z.string().optional() })).optional(),
  externalConnections: z.array(z.looseObject({ externalConnectionName: z.string().optional(), packageFormat: z.string().optional(), status: z.string().optional() })).optional(),
});

const schema = z.object({
  region: z.string().min(1),
  repositoryName: z.string().min(1),
  repositoryArn: z.string().regex(/^arn:aws[a-z-]*:ecr:[a-z0-9-]+:\d{12}:repository\/.+$/),
  ciRoleArn: z.string().min(1),
  domainName: z.string().min(1),
  npmRepositoryName: z.string().min(1),
  repository: factSchema(repositorySchema.nullable()),
  registryScanning: factSchema(registryScanningSchema),
  repositoryScanning: factSchema(repositoryScanningSchema.nullable()),
  lifecyclePolicy: factSchema(z.string().nullable()),
  repositoryPolicy: factSchema(z.string().nullable()),
  images: factSchema(z.array(imageSchema)),
  npmRepository: factSchema(codeArtifactRepositorySchema.nullable()),
  upstreams: factSchema(z.array(codeArtifactRepositorySchema)).optional(),
});

// The schema checks what the checks rely on and passes the rest through; the facts type keeps the SDK's shapes.
const factsSchema = schema as unknown as z.ZodType<ArtifactRepositoriesFacts>;

type Facts = ArtifactRepositoriesFacts;

// ---------------------------------------------------------------------------------------------
// Judging helpers (pure)
// ---------------------------------------------------------------------------------------------

function repositoryWhere(facts: Facts): string {
  return `ECR repository ${facts.repositoryName} in ${facts.region}`;
}

/** The account that owns the repository, from its ARN. */
function accountOf(facts: Facts): string {
  return facts.repositoryArn.split(':')[4];
}

function gone(facts: Facts): Verdict {
  return {
    status: 'FAIL',
    evidence: { observed: `repository ${facts.repositoryName} does not exist`, expected: 'the lab repository', where: repositoryWhere(facts) },
    hint: `The lab's repository is gone; run doplab deploy ${LAB_ID} to recreate it.`,
  };
}

/** The literal text of a wildcard filter before its first `*`, and whether it has one. */
function literalPrefix(filter: string): { prefix: string; wildcard: boolean } {
  const star = filter.indexOf('*');
  return star < 0 ? { prefix: filter, wildcard: false } : { prefix: filter.slice(0, star), wildcard: true };
}

/** Whether a tag exclusion filter can match some `release-*` tag (then that release tag stays mutable). */
export function coversSomeReleaseTag(filter: string): boolean {
  const { prefix, wildcard } = literalPrefix(filter);
  if (!wildcard) return filter.startsWith(RELEASE_TAG_PREFIX);
  return prefix.startsWith(RELEASE_TAG_PREFIX) || RELEASE_TAG_PREFIX.startsWith(prefix);
}

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

const tagsImmutable: Check<Facts> = {
  id: 'tags-immutable',
  title: 'Image tags in the repository are immutable',
  points: 15,
  taskStatement: '1.3',
  hint: 'A mutable tag can be pushed over: release-1.4 today may not be the image tested yesterday. Change the repository\'s tag mutability setting.',
  run(facts): Verdict {
    const repository = need(facts.repository);
    if (!repository) return gone(facts);
    const mutability = repository.imageTagMutability ?? 'MUTABLE';
    const exclusions = (repository.imageTagMutabilityExclusionFilters ?? []).map((f) => f.filter ?? '');
    const observed = `image tag mutability ${mutability}${exclusions.length ? ` with exclusions ${exclusions.join(', ')}` : ''}`;
    const evidence = { observed, expected: `IMMUTABLE (exclusions, if any, never matching ${RELEASE_TAG_PREFIX}* tags)`, where: repositoryWhere(facts) };
    if (mutability === 'IMMUTABLE') return { status: 'PASS', evidence };
    if (mutability === 'IMMUTABLE_WITH_EXCLUSION') {
      const covering = exclusions.filter(coversSomeReleaseTag);
      if (covering.length === 0) return { status: 'PASS', evidence };
      return {
        status: 'FAIL',
        evidence,
        hint: `The exclusion ${covering.join(', ')} makes ${RELEASE_TAG_PREFIX}* tags mutable again: exclude only tags that are meant to move (such as latest).`,
      };
    }
    if (mutability === 'MUTABLE_WITH_EXCLUSION') {
      return { status: 'FAIL', evidence, hint: 'Every tag outside the exclusions can still be overwritten: make tags immutable, with exclusions only for tags meant to move.' };
    }
    return { status: 'FAIL', evidence };
  },
};

const scanOnPush: Check<Facts> = {
  id: 'scan-on-push',
  title: 'Every image pushed to the repository is scanned (basic scanning, on push)',
  points: 20,
  taskStatement: '1.3',
  hint:
    'Image scanning is configured for the private registry (per account and Region): add a basic scanning rule that scans on push, ' +
    'with a repository filter that matches the lab repository. Keep the rules already there: the registry setting replaces the whole list.',
  run(facts): Verdict {
    const where = `registry scanning configuration in ${facts.region}, for ${facts.repositoryName}`;
    const registry = need(facts.registryScanning);
    const applied = need(facts.repositoryScanning);
    if (!applied) return gone(facts);
    const filters = (applied.appliedScanFilters ?? []).map((f) => f.filter ?? '');
    const scanType = registry.scanType ?? 'BASIC';
    const rules = (registry.rules ?? []).map((r) => `${r.scanFrequency} on ${(r.repositoryFilters ?? []).map((f) => f.filter).join(', ') || 'no repository'}`);
    const observed =
      `registry scan type ${scanType}, rules: ${rules.length ? rules.join('; ') : 'none'}; applied to the repository: ` +
      `${applied.scanFrequency ?? 'no scan frequency'}, scan on push ${applied.scanOnPush ? 'on' : 'off'}${filters.length ? ` (filters ${filters.join(', ')})` : ''}`;
    const evidence = { observed, expected: `BASIC scanning with a SCAN_ON_PUSH rule whose filter matches ${facts.repositoryName}`, where };
    if (scanType === 'ENHANCED') {
      return {
        status: 'FAIL',
        evidence,
        hint: 'Enhanced scanning hands the registry to Amazon Inspector, which charges per image scanned and rescanned. The lab asks for basic scanning.',
      };
    }
    const onPush = applied.scanOnPush === true && (applied.scanFrequency ?? 'SCAN_ON_PUSH') === 'SCAN_ON_PUSH';
    if (onPush && filters.length > 0) return { status: 'PASS', evidence };
    if (onPush) {
      // Accepted, but a PASS shows no hint: the evidence names the current way.
      return {
        status: 'PASS',
        evidence: {
          ...evidence,
          observed:
            `${observed}; through the deprecated repository-level scanOnPush setting (the current way: a registry-level ` +
            'basic scanning rule with scan on push and a repository filter matching the repository)',
        },
      };
    }
    const onPushRules = (registry.rules ?? []).filter((r) => r.scanFrequency === 'SCAN_ON_PUSH');
    if (onPushRules.length > 0) {
      return {
        status: 'FAIL',
        evidence,
        hint: `A scan-on-push rule exists, but no filter of it matches ${facts.repositoryName}: filters are wildcards on the full repository name, namespace included.`,
      };
    }
    return { status: 'FAIL', evidence };
  },
};

/** The images the lifecycle policy is judged on: fixed, so the verdict does not depend on what was pushed. */
export const SAMPLE_IMAGES: readonly SampleImage[] = [
  { id: 'untagged, 3 days old', tags: [], ageHours: 72 },
  { id: 'untagged, 2 hours old', tags: [], ageHours: 2 },
  ...Array.from({ length: 14 }, (_, i): SampleImage => ({
    id: `${RELEASE_TAG_PREFIX}1.${i}`,
    tags: i === 13 ? [`${RELEASE_TAG_PREFIX}1.${i}`, 'latest'] : [`${RELEASE_TAG_PREFIX}1.${i}`],
    ageHours: (14 - i) * 24 + 1,
  })),
  { id: 'dev-7f3a1c2', tags: ['dev-7f3a1c2'], ageHours: 30 * 24 },
  { id: 'dev-9b4e0d1', tags: ['dev-9b4e0d1'], ageHours: 3 * 24 + 8 },
  { id: 'dev-c2d8e5f', tags: ['dev-c2d8e5f'], ageHours: 1 },
];

/** What the task's policy expires among SAMPLE_IMAGES (in their order): untagged images older than a day, releases beyond the newest 10. */
export const EXPECTED_EXPIRED: readonly string[] = (() => {
  const releases = SAMPLE_IMAGES.filter((i) => i.tags.some((t) => t.startsWith(RELEASE_TAG_PREFIX))).sort((a, b) => a.ageHours - b.ageHours);
  const expired = new Set([
    ...SAMPLE_IMAGES.filter((i) => i.tags.length === 0 && i.ageHours > UNTAGGED_DAYS * 24),
    ...releases.slice(RELEASES_KEPT),
  ]);
  return SAMPLE_IMAGES.filter((i) => expired.has(i)).map((i) => i.id);
})();

const LIFECYCLE_EXPECTED =
  `of ${SAMPLE_IMAGES.length} sample images (2 untagged, 14 ${RELEASE_TAG_PREFIX}*, 3 dev-*), exactly these expire: ` +
  `untagged images older than ${UNTAGGED_DAYS} day and all but the ${RELEASES_KEPT} newest ${RELEASE_TAG_PREFIX}* images`;

const lifecycleBehaviour: Check<Facts> = {
  id: 'lifecycle-behaviour',
  title: `The lifecycle policy expires untagged images after ${UNTAGGED_DAYS} day and keeps the ${RELEASES_KEPT} newest release images`,
  points: 25,
  taskStatement: '1.3',
  hint:
    `Write a lifecycle policy with one rule per kind of image: untagged images by age since push, ${RELEASE_TAG_PREFIX}* images by count. ` +
    'Remember that rules apply lowest priority number first, and an image one rule has selected is never expired by a later rule.',
  run(facts): Verdict {
    const where = `lifecycle policy of ${repositoryWhere(facts)}`;
    const text = need(facts.lifecyclePolicy);
    if (text === null) return { status: 'FAIL', evidence: { observed: 'the repository has no lifecycle policy', expected: LIFECYCLE_EXPECTED, where } };
    const outcome = evaluateLifecycle(text, SAMPLE_IMAGES);
    if (!outcome.evaluable) {
      return {
        status: 'FAIL',
        evidence: { observed: `the policy cannot be evaluated on sample images: ${outcome.reason}`, expected: LIFECYCLE_EXPECTED, where },
        hint: 'Express the task with expire actions counted by image count or by days since push; the other forms depend on pull and archive history.',
      };
    }
    const expired = SAMPLE_IMAGES.map((i) => i.id).filter((id) => outcome.expired.has(id));
    const missing = EXPECTED_EXPIRED.filter((id) => !outcome.expired.has(id));
    const extra = expired.filter((id) => !EXPECTED_EXPIRED.includes(id));
    const observed =
      missing.length + extra.length === 0
        ? `expires exactly ${EXPECTED_EXPIRED.join(', ')}`
        : [
            extra.length ? `expires ${extra.map((id) => `${id} (rule ${outcome.expired.get(id)})`).join(', ')}, which should be kept` : '',
            missing.length ? `keeps ${missing.join(', ')}, which should expire` : '',
          ]
            .filter(Boolean)
            .join('; ');
    const evidence = { observed, expected: LIFECYCLE_EXPECTED, where };
    if (missing.length + extra.length === 0) return { status: 'PASS', evidence };
    const anyRuleExpiresTagged = extra.some((id) => SAMPLE_IMAGES.find((i) => i.id === id)?.tags.some((t) => !t.startsWith(RELEASE_TAG_PREFIX)));
    if (anyRuleExpiresTagged) {
      return {
        status: 'FAIL',
        evidence,
        hint: `A rule that counts every image (tagStatus any, or a pattern that is too wide) expires dev and fresh images too: select the ${RELEASE_TAG_PREFIX}* images by their tag.`,
      };
    }
    return { status: 'FAIL', evidence };
  },
};

/** A role of the account other than the CI role, and a role of another account: neither may pull or push. */
function callers(facts: Facts): { ci: Caller; other: Caller; external: Caller } {
  const account = accountOf(facts);
  const partition = facts.repositoryArn.split(':')[1];
  const externalAccount = account === '999988887777' ? '777788889999' : '999988887777';
  return {
    ci: { arn: facts.ciRoleArn, account },
    other: { arn: `arn:${partition}:iam::${account}:role/orders-api-developer`, account },
    external: { arn: `arn:${partition}:iam::${externalAccount}:role/ci`, account: externalAccount },
  };
}

/** One finding of the repository policy check: who, which action, and what the policy decided. */
interface PolicyProblem {
  readonly who: string;
  readonly action: string;
  readonly answer: PolicyAnswer;
}

/** Problems grouped by who and decision, so that each line names the actions it concerns. */
function describeProblems(problems: readonly PolicyProblem[]): string {
  const groups = new Map<string, { who: string; verdict: string; actions: string[] }>();
  for (const { who, action, answer } of problems) {
    const verdict = `${answer.decision}${answer.statement ? ` by statement ${answer.statement}` : ''}${answer.reason ? ` (${answer.reason})` : ''}`;
    const group = groups.get(`${who}\n${verdict}`) ?? { who, verdict, actions: [] };
    group.actions.push(action);
    groups.set(`${who}\n${verdict}`, group);
  }
  return [...groups.values()].map((g) => `${g.who}: ${g.actions.join(', ')} ${g.verdict}`).join('; ');
}

const pullOnlyCi: Check<Facts> = {
  id: 'pull-only-ci',
  title: 'Through the repository policy, only the CI role may pull, and no one may push',
  points: 25,
  taskStatement: '1.3',
  hint:
    'A repository policy is a resource policy: it grants principals it names. Name the CI role as the principal, give it only the three ' +
    'actions a pull needs, and grant no push. (ecr:GetAuthorizationToken is registry-wide and comes from the identity policy.)',
  run(facts): Verdict {
    const where = `repository policy of ${repositoryWhere(facts)}`;
    const { ci, other, external } = callers(facts);
    const expected =
      `${ci.arn} allowed ${PULL_ACTIONS.join(', ')}; other roles of the account not allowed to pull; ` +
      `no principal allowed ${PUSH_ACTIONS.join(', ')}`;
    const text = need(facts.repositoryPolicy);
    if (text === null) {
      return {
        status: 'FAIL',
        evidence: { observed: 'the repository has no repository policy: the CI role, whose identity policy grants no pull, cannot pull', expected, where },
      };
    }
    const ask = (caller: Caller, action: string) =>
      evaluateResourcePolicy(text, { caller, action, resourceArn: facts.repositoryArn, resourceAccount: accountOf(facts) });
    const granted = (answer: PolicyAnswer) => answer.decision === 'allowed' || answer.decision === 'unknown';
    const problems: PolicyProblem[] = [];
    const whoCi = `the CI role ${ci.arn}`;
    const whoOther = `another role of the account ${other.arn}`;
    const whoExternal = `a role of another account ${external.arn}`;
    for (const action of PULL_ACTIONS) {
      const answer = ask(ci, action);
      if (answer.decision !== 'allowed') problems.push({ who: whoCi, action, answer });
    }
    for (const action of PULL_ACTIONS) {
      const answer = ask(other, action);
      if (granted(answer)) problems.push({ who: whoOther, action, answer });
    }
    for (const [who, caller] of [[whoCi, ci], [whoOther, other], [whoExternal, external]] as const) {
      for (const action of PUSH_ACTIONS) {
        const answer = ask(caller, action);
        if (granted(answer)) problems.push({ who, action, answer });
      }
    }
    if (problems.length === 0) {
      return { status: 'PASS', evidence: { observed: 'the CI role alone may pull through the policy; no principal may push through it', expected, where } };
    }
    const hints: string[] = [];
    const isPull = (p: PolicyProblem) => (PULL_ACTIONS as readonly string[]).includes(p.action);
    if (problems.some((p) => p.answer.decision === 'unknown')) {
      hints.push('A statement uses something this check does not evaluate; say who may pull with the role ARN as principal, or with aws:PrincipalArn.');
    }
    if (problems.some((p) => p.who === whoOther && isPull(p) && p.answer.decision === 'allowed')) {
      hints.push('Principal "*" limited by aws:PrincipalAccount still admits every principal of the account: name the CI role itself (its role ARN, or aws:PrincipalArn).');
    }
    if (problems.some((p) => p.who === whoCi && isPull(p))) {
      hints.push(
        'The CI role cannot pull through the policy. Naming the account (its root ARN) only delegates to identity policies, and the CI role\'s ' +
          'identity policy grants no pull: name the role.',
      );
    }
    if (problems.some((p) => !isPull(p) && p.answer.decision === 'allowed')) {
      hints.push('The policy still grants pushes: grant only the three pull actions (a wildcard such as ecr:* includes the push actions).');
    }
    return { status: 'FAIL', evidence: { observed: describeProblems(problems), expected, where }, hint: hints.join(' ') };
  },
};

const npmUpstream: Check<Facts> = {
  id: 'npm-upstream',
  title: `${NPM_REPOSITORY_NAME} fetches public packages through an upstream repository connected to ${NPM_EXTERNAL_CONNECTION}`,
  points: 15,
  taskStatement: '1.3',
  hint:
    'In the lab domain, create a repository with an external connection to the public npm registry, and make it an upstream of ' +
    'the lab repository: requests then go downstream → upstream → public registry, and every package fetched is cached.',
  run(facts): Verdict {
    const where = `CodeArtifact repository ${facts.npmRepositoryName} in domain ${facts.domainName}, ${facts.region}`;
    const expected = `an upstream repository of ${facts.npmRepositoryName} with the external connection ${NPM_EXTERNAL_CONNECTION}`;
    const repository = need(facts.npmRepository);
    if (!repository) {
      return {
        status: 'FAIL',
        evidence: { observed: `repository ${facts.npmRepositoryName} does not exist`, expected, where },
        hint: `The lab's repository is gone; run doplab deploy ${LAB_ID} to recreate it.`,
      };
    }
    const names = (repository.upstreams ?? []).map((u) => u.repositoryName ?? '');
    const ownConnections = (repository.externalConnections ?? []).map((c) => c.externalConnectionName ?? '');
    const upstreams = facts.upstreams ? need(facts.upstreams) : [];
    const connected = upstreams.filter((u) => (u.externalConnections ?? []).some((c) => c.externalConnectionName === NPM_EXTERNAL_CONNECTION));
    const observed =
      (names.length
        ? `upstreams: ${upstreams.map((u) => `${u.name} (external connections: ${(u.externalConnections ?? []).map((c) => c.externalConnectionName).join(', ') || 'none'})`).join(', ')}`
        : 'no upstream repository') + (ownConnections.length ? `; its own external connections: ${ownConnections.join(', ')}` : '');
    const evidence = { observed, expected, where };
    if (connected.length > 0) return { status: 'PASS', evidence };
    if (ownConnections.includes(NPM_EXTERNAL_CONNECTION)) {
      return {
        status: 'FAIL',
        evidence,
        hint:
          'The external connection sits on the lab repository itself. Put it on a separate repository upstream of it: that repository ' +
          'becomes the shared cache of public packages that other team repositories can use as their upstream too.',
      };
    }
    return { status: 'FAIL', evidence };
  },
};

const scanFindings: Check<Facts> = {
  id: 'scan-findings',
  title: 'An image pushed to the repository was scanned, and its findings can be read',
  points: 10,
  taskStatement: '1.3',
  optional: true,
  dependsOn: ['scan-on-push'],
  hint: 'Push any small image to the repository (docker push, after docker login with an ECR authorization token), then read its scan findings.',
  run(facts): Verdict {
    const where = repositoryWhere(facts);
    const expected = 'a pushed image whose basic scan is COMPLETE';
    const images = [...need(facts.images)].sort((a, b) => byName(b.imagePushedAt, a.imagePushedAt));
    if (images.length === 0) return { status: 'FAIL', evidence: { observed: 'no image in the repository', expected, where } };
    const name = (i: (typeof images)[number]) => `${(i.imageTags ?? [])[0] ?? 'untagged'} (${(i.imageDigest ?? '').slice(0, 19)})`;
    const complete = images.find((i) => i.imageScanStatus?.status === 'COMPLETE');
    if (complete) {
      const counts = Object.entries(complete.imageScanFindingsSummary?.findingSeverityCounts ?? {});
      const findings = counts.length ? counts.map(([severity, n]) => `${n} ${severity}`).join(', ') : 'no findings';
      return { status: 'PASS', evidence: { observed: `image ${name(complete)} scanned: ${findings}`, expected, where } };
    }
    const running = images.find((i) => ['IN_PROGRESS', 'PENDING', 'ACTIVE'].includes(i.imageScanStatus?.status ?? ''));
    if (running) return { status: 'PENDING', evidence: { observed: `image ${name(running)}: scan ${running.imageScanStatus?.status}`, expected: `waiting for: ${expected}`, where } };
    const latest = images[0];
    const status = latest.imageScanStatus;
    return {
      status: 'FAIL',
      evidence: { observed: `image ${name(latest)}: ${status ? `scan ${status.status}${status.description ? `: ${status.description}` : ''}` : 'never scanned (pushed before scan on push was on?)'}`, expected, where },
    };
  },
};

// ---------------------------------------------------------------------------------------------
// The checker
// ---------------------------------------------------------------------------------------------

/** A read that answers null when AWS says the thing does not exist. */
function orNull<T>(read: () => Promise<T>, ...missing: string[]): Promise<T | null> {
  return read().catch((error: unknown) => {
    if (missing.includes(awsErrorName(error) ?? '')) return null;
    throw error;
  });
}

export const checker = defineChecker({
  labId: LAB_ID,
  outputs: Outputs,
  actions: [
    'ecr:DescribeRepositories',
    'ecr:GetRegistryScanningConfiguration',
    'ecr:BatchGetRepositoryScanningConfiguration',
    'ecr:GetLifecyclePolicy',
    'ecr:GetRepositoryPolicy',
    'ecr:DescribeImages',
    'codeartifact:DescribeRepository',
  ],
  factsSchema,
  async gather({ outputs, region, client }): Promise<ArtifactRepositoriesFacts> {
    const ecr = client(ECRClient);
    const codeartifact = client(CodeartifactClient);
    const repositoryName = outputs.repositoryName;
    const domain = outputs.domainName;
    const notFound = 'RepositoryNotFoundException';

    const describeNpm = (repository: string) =>
      codeartifact.send(new DescribeRepositoryCommand({ domain, repository })).then((out) => jsonified(out.repository ?? {}));
    const npmRead = readFact(() => orNull(() => describeNpm(outputs.npmRepositoryName), 'ResourceNotFoundException'));
    // The upstreams' reads start as soon as orders-npm names them.
    const upstreamsRead = npmRead.then(async (npm) => {
      const names = npm.ok ? (npm.value?.upstreams ?? []).map((u) => u.repositoryName ?? '').filter(Boolean) : [];
      if (names.length === 0) return {};
      return { upstreams: await readFact(() => Promise.all(names.map(describeNpm))) };
    });
    const [repository, registryScanning, repositoryScanning, lifecyclePolicy, repositoryPolicy, images, npmRepository, upstreamFacts] = await Promise.all([
      readFact(() =>
        orNull(async () => jsonified((await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [repositoryName] }))).repositories?.[0] ?? null), notFound),
      ),
      readFact(async () => jsonified((await ecr.send(new GetRegistryScanningConfigurationCommand({}))).scanningConfiguration ?? {})),
      readFact(async () => {
        const out = await ecr.send(new BatchGetRepositoryScanningConfigurationCommand({ repositoryNames: [repositoryName] }));
        const failure = out.failures?.find((f) => f.repositoryName === repositoryName);
        if (failure && failure.failureCode !== 'REPOSITORY_NOT_FOUND') throw new Error(`${failure.failureCode}: ${failure.failureReason}`);
        return out.scanningConfigurations?.[0] ? jsonified(out.scanningConfigurations[0]) : null;
      }),
      readFact(() =>
        orNull(async () => (await ecr.send(new GetLifecyclePolicyCommand({ repositoryName }))).lifecyclePolicyText ?? null, 'LifecyclePolicyNotFoundException', notFound),
      ),
      readFact(() => orNull(async () => (await ecr.send(new GetRepositoryPolicyCommand({ repositoryName }))).policyText ?? null, 'RepositoryPolicyNotFoundException', notFound)),
      readFact(async () =>
        jsonified(
          await orNull(
            () =>
              allPages(async (nextToken) => {
                const page = await ecr.send(new DescribeImagesCommand({ repositoryName, nextToken, maxResults: 100 }));
                return { items: page.imageDetails, next: page.nextToken };
              }),
            notFound,
          ) ?? [],
        ),
      ),
      npmRead,
      upstreamsRead,
    ]);
    return {
      region,
      repositoryName,
      repositoryArn: outputs.repositoryArn,
      ciRoleArn: outputs.ciRoleArn,
      domainName: domain,
      npmRepositoryName: outputs.npmRepositoryName,
      repository,
      registryScanning,
      repositoryScanning,
      lifecyclePolicy,
      repositoryPolicy,
      images,
      npmRepository,
      ...upstreamFacts,
    };
  },
  checks: [tagsImmutable, scanOnPush, lifecycleBehaviour, pullOnlyCi, npmUpstream, scanFindings],
});
