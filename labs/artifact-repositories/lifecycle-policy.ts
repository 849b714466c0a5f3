// An evaluator of Amazon ECR lifecycle policies on sample images, with ECR's documented rule semantics (pure code,
// no SDK): rules apply lowest rulePriority first; each rule identifies the images its selection matches, counting
// every one of them, but expires only those no earlier rule identified; tagPrefixList/tagPatternList entries must
// all match (each some tag of the image); imageCountMoreThan keeps the newest N; sinceImagePushed expires images
// older than N days. See https://docs.aws.amazon.com/AmazonECR/latest/userguide/lifecycle_policy_examples.html.

/** An image the policy is evaluated on. */
export interface SampleImage {
  /** A name for messages, e.g. `release-1.3` or `untagged, 3 days old`. */
  readonly id: string;
  readonly tags: readonly string[];
  /** How long ago the image was pushed, in hours. */
  readonly ageHours: number;
}

/** What the policy does to the sample images, or why it cannot be evaluated. */
export type LifecycleOutcome =
  | { readonly evaluable: true; /** Each expired image's id, with the rulePriority that expired it. */ readonly expired: ReadonlyMap<string, number> }
  | { readonly evaluable: false; readonly reason: string };

interface Selection {
  tagStatus?: unknown;
  tagPrefixList?: unknown;
  tagPatternList?: unknown;
  storageClass?: unknown;
  countType?: unknown;
  countUnit?: unknown;
  countNumber?: unknown;
}

interface Rule {
  rulePriority?: unknown;
  selection?: Selection;
  action?: { type?: unknown };
}

const HOURS_PER_DAY = 24;

/** Whether a tag matches an ECR tag pattern: `*` matches any run of characters, everything else itself. */
export function tagPatternMatches(pattern: string, tag: string): boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`).test(tag);
}

function strings(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : undefined;
}

function selects(selection: Selection, image: SampleImage): boolean {
  // Sample images are all in the standard storage class.
  if (selection.storageClass === 'archive') return false;
  if (selection.tagStatus === 'untagged') return image.tags.length === 0;
  if (selection.tagStatus === 'any') return true;
  const prefixes = strings(selection.tagPrefixList);
  const patterns = strings(selection.tagPatternList);
  if (prefixes) return prefixes.every((p) => image.tags.some((t) => t.startsWith(p)));
  if (patterns) return patterns.every((p) => image.tags.some((t) => tagPatternMatches(p, t)));
  return false;
}

/** Why a rule cannot be evaluated on sample images, if it cannot. */
function notEvaluable(rule: Rule, index: number): string | undefined {
  const name = `rule ${typeof rule.rulePriority === 'number' ? rule.rulePriority : `#${index + 1}`}`;
  const selection = rule.selection;
  if (typeof rule.rulePriority !== 'number') return `${name} has no numeric rulePriority`;
  if (!selection || typeof selection !== 'object') return `${name} has no selection`;
  if (!['tagged', 'untagged', 'any'].includes(String(selection.tagStatus))) return `${name} has tagStatus ${JSON.stringify(selection.tagStatus)}`;
  if (selection.tagStatus === 'tagged' && !strings(selection.tagPrefixList) && !strings(selection.tagPatternList)) {
    return `${name} selects tagged images without tagPrefixList or tagPatternList`;
  }
  if (rule.action?.type !== 'expire') return `${name} has action ${JSON.stringify(rule.action?.type)}: only expire actions are evaluated, transitions to archive are not`;
  if (typeof selection.countNumber !== 'number') return `${name} has no numeric countNumber`;
  if (selection.countType === 'imageCountMoreThan') return undefined;
  if (selection.countType === 'sinceImagePushed') return selection.countUnit === 'days' ? undefined : `${name} counts in ${JSON.stringify(selection.countUnit)}, not days`;
  return `${name} has countType ${JSON.stringify(selection.countType)}, which depends on pull or transition history the sample images do not have`;
}

/** Applies a lifecycle policy (its JSON text) to sample images as ECR would, and says which it expires. */
export function evaluateLifecycle(policyText: string, images: readonly SampleImage[]): LifecycleOutcome {
  let rules: Rule[];
  try {
    const parsed = JSON.parse(policyText) as { rules?: unknown };
    if (!Array.isArray(parsed.rules)) return { evaluable: false, reason: 'the policy has no rules list' };
    rules = parsed.rules as Rule[];
  } catch {
    return { evaluable: false, reason: 'the policy is not JSON' };
  }
  for (const [index, rule] of rules.entries()) {
    const reason = notEvaluable(rule, index);
    if (reason) return { evaluable: false, reason };
  }
  const identified = new Set<string>();
  const expired = new Map<string, number>();
  for (const rule of [...rules].sort((a, b) => (a.rulePriority as number) - (b.rulePriority as number))) {
    const selection = rule.selection as Selection;
    const count = selection.countNumber as number;
    const matched = images.filter((image) => selects(selection, image));
    const marked =
      selection.countType === 'imageCountMoreThan'
        ? [...matched].sort((a, b) => a.ageHours - b.ageHours).slice(count)
        : matched.filter((image) => image.ageHours > count * HOURS_PER_DAY);
    // An image an earlier rule identified cannot be expired by this one, though this one still counts it.
    for (const image of marked) if (!identified.has(image.id)) expired.set(image.id, rule.rulePriority as number);
    for (const image of matched) identified.add(image.id);
  }
  return { evaluable: true, expired };
}
