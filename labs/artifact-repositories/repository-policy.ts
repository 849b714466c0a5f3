// An evaluator of resource policies (ECR repository policies, CodeArtifact domain and repository policies) for one
// IAM role calling one action: pure code, no SDK. The IAM policy simulator evaluates resource policies only for S3,
// SQS, SNS and Glacier, and only for IAM users as callers, so this answers what the repository policy grants by
// itself: explicit Deny first, then Allow. Principal forms: "*", {"AWS": "*" | role ARN | account id | account
// root ARN}; NotPrincipal; Action/NotAction and Resource/NotResource with wildcards; conditions on
// aws:PrincipalArn and aws:PrincipalAccount with the String*, Arn* and Null operators (IfExists too). Anything else
// makes the answer "unknown" rather than a guess.

/** The role that calls, and where. */
export interface Caller {
  /** The role's ARN (what aws:PrincipalArn holds for its sessions). */
  readonly arn: string;
  readonly account: string;
}

/** One request to evaluate against a resource policy. */
export interface PolicyRequest {
  readonly caller: Caller;
  readonly action: string;
  readonly resourceArn: string;
  /** The account that owns the resource. */
  readonly resourceAccount: string;
}

/**
 * `allowed`: the policy grants the call by itself; `explicitDeny`: a Deny statement applies; `implicitDeny`: no
 * statement grants it (a same-account caller may still be allowed by its identity policy; an Allow that names only
 * the caller's own account delegates to those identity policies, and grants nothing by itself); `unknown`: a
 * statement that would decide uses something this evaluator does not model.
 */
export type PolicyDecision = 'allowed' | 'explicitDeny' | 'implicitDeny' | 'unknown';

/** A decision, with the statement that made it (its Sid, or its position) and, for `unknown`, why. */
export interface PolicyAnswer {
  readonly decision: PolicyDecision;
  readonly statement?: string;
  readonly reason?: string;
}

interface Statement {
  Sid?: unknown;
  Effect?: unknown;
  Principal?: unknown;
  NotPrincipal?: unknown;
  Action?: unknown;
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Condition?: unknown;
}

/** Whether a statement applies: yes, no, or cannot tell (with why). */
type Applies = true | false | { readonly unknown: string };

function list(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** IAM's wildcard match: `*` any run of characters, `?` one character. */
export function wildcardMatches(pattern: string, value: string, ignoreCase = false): boolean {
  const source = [...pattern].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}

const ACCOUNT_ID = /^\d{12}$/;
const ACCOUNT_ROOT = /^arn:aws[a-z-]*:iam::(\d{12}):root$/;

/** How a principal entry names the caller: the caller itself (or everyone), only its account, or not at all. */
function principalMatch(entry: string, caller: Caller): 'caller' | 'account' | 'none' {
  if (entry === '*') return 'caller';
  const account = ACCOUNT_ID.test(entry) ? entry : ACCOUNT_ROOT.exec(entry)?.[1];
  if (account !== undefined) return account === caller.account ? 'account' : 'none';
  return entry === caller.arn ? 'caller' : 'none';
}

function awsPrincipals(principal: unknown): string[] | undefined {
  if (principal === '*') return ['*'];
  if (principal !== null && typeof principal === 'object') return list((principal as Record<string, unknown>).AWS);
  return undefined;
}

/** Whether the statement's principal covers the caller, for its effect. */
function coversPrincipal(statement: Statement, request: PolicyRequest, allow: boolean): Applies {
  const crossAccount = request.caller.account !== request.resourceAccount;
  if (statement.NotPrincipal !== undefined) {
    const entries = awsPrincipals(statement.NotPrincipal) ?? [];
    return !entries.some((e) => principalMatch(e, request.caller) !== 'none');
  }
  const entries = awsPrincipals(statement.Principal);
  if (entries === undefined) return false;
  const matches = entries.map((e) => principalMatch(e, request.caller));
  if (matches.includes('caller')) return true;
  // An account principal: a Deny covers every identity of the account; an Allow grants a cross-account caller the
  // resource side, but for a caller of the resource's own account it only delegates to the identity policies.
  if (matches.includes('account')) return !allow || crossAccount;
  return false;
}

function coversAction(statement: Statement, action: string): boolean {
  if (statement.NotAction !== undefined) return !list(statement.NotAction).some((a) => wildcardMatches(a, action, true));
  return list(statement.Action).some((a) => wildcardMatches(a, action, true));
}

function coversResource(statement: Statement, resourceArn: string): boolean {
  if (statement.NotResource !== undefined) return !list(statement.NotResource).some((r) => wildcardMatches(r, resourceArn));
  // ECR and CodeArtifact resource policies usually omit Resource: the policy's own resource.
  if (statement.Resource === undefined) return true;
  return list(statement.Resource).some((r) => wildcardMatches(r, resourceArn));
}

const OPERATORS: Readonly<Record<string, (value: string, pattern: string) => boolean>> = {
  StringEquals: (v, p) => v === p,
  StringEqualsIgnoreCase: (v, p) => v.toLowerCase() === p.toLowerCase(),
  StringLike: (v, p) => wildcardMatches(p, v),
  ArnEquals: (v, p) => v === p,
  ArnLike: (v, p) => wildcardMatches(p, v),
};

const NEGATED: Readonly<Record<string, string>> = {
  StringNotEquals: 'StringEquals',
  StringNotEqualsIgnoreCase: 'StringEqualsIgnoreCase',
  StringNotLike: 'StringLike',
  ArnNotEquals: 'ArnEquals',
  ArnNotLike: 'ArnLike',
};

function contextValue(key: string, caller: Caller): string | undefined {
  switch (key.toLowerCase()) {
    case 'aws:principalarn':
      return caller.arn;
    case 'aws:principalaccount':
      return caller.account;
    default:
      return undefined;
  }
}

/** Whether every condition of the statement holds for the caller (all operators, all keys; any value of a key). */
function conditionsHold(statement: Statement, caller: Caller): Applies {
  const condition = statement.Condition;
  if (condition === undefined) return true;
  if (condition === null || typeof condition !== 'object') return { unknown: 'a Condition that is not an object' };
  for (const [rawOperator, block] of Object.entries(condition as Record<string, unknown>)) {
    if (block === null || typeof block !== 'object') return { unknown: `condition ${rawOperator} is not an object` };
    if (/^For(Any|All)Value:/.test(rawOperator)) return { unknown: `set operator ${rawOperator}` };
    const operator = rawOperator.replace(/IfExists$/, '');
    for (const [key, values] of Object.entries(block as Record<string, unknown>)) {
      const actual = contextValue(key, caller);
      if (actual === undefined) return { unknown: `condition key ${key}` };
      const wanted = list(values);
      if (operator === 'Null') {
        // Both keys are always present in a signed request: Null is true only when asking for absence.
        if (wanted.some((w) => w.toLowerCase() === 'true')) return false;
        continue;
      }
      const negatedOf = NEGATED[operator];
      const test = OPERATORS[negatedOf ?? operator];
      if (!test) return { unknown: `condition operator ${rawOperator}` };
      const anyMatch = wanted.some((w) => test(actual, w));
      if (negatedOf ? anyMatch : !anyMatch) return false;
    }
  }
  return true;
}

function and(...parts: Applies[]): Applies {
  if (parts.includes(false)) return false;
  return parts.find((p): p is { unknown: string } => typeof p === 'object') ?? true;
}

function statementsOf(policyText: string): Statement[] | string {
  try {
    const document = JSON.parse(policyText) as { Statement?: unknown };
    const statements = Array.isArray(document.Statement) ? document.Statement : document.Statement ? [document.Statement] : [];
    return statements.filter((s): s is Statement => s !== null && typeof s === 'object');
  } catch {
    return 'the policy is not JSON';
  }
}

function nameOf(statement: Statement, index: number): string {
  return typeof statement.Sid === 'string' && statement.Sid !== '' ? `"${statement.Sid}"` : `#${index + 1}`;
}

/** What a resource policy (its JSON text) alone decides for one request. */
export function evaluateResourcePolicy(policyText: string, request: PolicyRequest): PolicyAnswer {
  const statements = statementsOf(policyText);
  if (typeof statements === 'string') return { decision: 'unknown', reason: statements };
  const judged = statements.map((statement, index) => {
    const allow = statement.Effect === 'Allow';
    const applies = and(
      coversAction(statement, request.action),
      coversResource(statement, request.resourceArn),
      coversPrincipal(statement, request, allow),
      conditionsHold(statement, request.caller),
    );
    return { effect: statement.Effect, name: nameOf(statement, index), applies };
  });
  const denies = judged.filter((j) => j.effect === 'Deny');
  const allows = judged.filter((j) => j.effect === 'Allow');
  const deny = denies.find((j) => j.applies === true);
  if (deny) return { decision: 'explicitDeny', statement: deny.name };
  const unknownOf = (j: (typeof judged)[number]) => (typeof j.applies === 'object' ? j.applies.unknown : '');
  const allow = allows.find((j) => j.applies === true);
  const unsureDeny = denies.find((j) => typeof j.applies === 'object');
  if (allow && unsureDeny) return { decision: 'unknown', statement: unsureDeny.name, reason: unknownOf(unsureDeny) };
  if (allow) return { decision: 'allowed', statement: allow.name };
  const unsureAllow = allows.find((j) => typeof j.applies === 'object');
  if (unsureAllow) return { decision: 'unknown', statement: unsureAllow.name, reason: unknownOf(unsureAllow) };
  return { decision: 'implicitDeny' };
}
