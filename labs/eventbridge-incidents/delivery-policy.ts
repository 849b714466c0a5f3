// Whether a queue's or topic's resource policy lets EventBridge deliver for a given rule, and nothing more. AWS's IAM
// policy simulator cannot answer this (SimulatePrincipalPolicy and SimulateCustomPolicy take no service principal as the
// caller), so the checker evaluates the policy itself: pure code, no SDK, no CDK, table-tested against
// @cloud-copilot/iam-simulate (a dev dependency: AGPL-licensed, it stays out of doplab's runtime).
// It implements IAM's evaluation for one request by a service principal against one resource policy: an explicit Deny
// wins, then an Allow, else an implicit deny. A construct it does not evaluate (a numeric or date condition, a policy
// variable) gives the decision Error, never a guess.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html

/** One request to evaluate against a resource policy, with the decision a correct policy gives. */
export interface DeliveryProbe {
  /** Short label for evidence, e.g. `EventBridge delivers for the rule`. */
  readonly label: string;
  readonly action: string;
  /** The rule the request comes from (aws:SourceArn). */
  readonly sourceArn: string;
  /** What a policy that grants the rule exactly what it needs decides. */
  readonly expect: 'Allowed' | 'Denied';
}

export type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

/** A probe and the decision the policy gave. */
export interface DeliveryDecision extends DeliveryProbe {
  readonly decision: Decision | 'Error';
  /** For Error: why the policy could not be evaluated. */
  readonly error?: string;
}

/** One request: a service principal calling an action on a resource, with its request context. */
export interface ServiceRequest {
  readonly service: string;
  readonly action: string;
  readonly resource: string;
  readonly context: Readonly<Record<string, string>>;
}

export const EVENTS_PRINCIPAL = 'events.amazonaws.com';

/** Thrown for a policy construct the evaluator does not decide. */
export class UnsupportedPolicy extends Error {}

/** Whether a decision is what the probe expected. */
export function asExpected(d: DeliveryDecision): boolean {
  return d.expect === 'Allowed' ? d.decision === 'Allowed' : d.decision === 'ExplicitlyDenied' || d.decision === 'ImplicitlyDenied';
}

/**
 * The probes for a target of `ruleArn`: EventBridge must be able to deliver for this rule, not for another rule (the
 * grant is conditioned on the rule's ARN), and must not be able to do more than deliver.
 */
export function deliveryProbes(kind: 'queue' | 'topic', ruleArn: string): DeliveryProbe[] {
  const otherRule = ruleArn.replace(/[^/]+$/, 'someone-elses-rule');
  const deliver = kind === 'queue' ? 'sqs:SendMessage' : 'sns:Publish';
  const more = kind === 'queue' ? 'sqs:ReceiveMessage' : 'sns:Subscribe';
  return [
    { label: 'EventBridge delivers for the rule', action: deliver, sourceArn: ruleArn, expect: 'Allowed' },
    { label: 'EventBridge delivers for another rule', action: deliver, sourceArn: otherRule, expect: 'Denied' },
    { label: `EventBridge calls ${more} for the rule`, action: more, sourceArn: ruleArn, expect: 'Denied' },
  ];
}

const list = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** IAM's wildcard match: `*` any run of characters, `?` one character. */
function wildcard(pattern: string, value: string, ignoreCase: boolean): boolean {
  if (/\$\{/.test(pattern)) throw new UnsupportedPolicy(`policy variables (${pattern}) are not evaluated`);
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's').test(value);
}

function principalMatches(principal: unknown, service: string): boolean {
  if (principal === '*') return true;
  if (principal === null || typeof principal !== 'object') throw new UnsupportedPolicy(`principal ${JSON.stringify(principal)} is not valid`);
  const p = principal as Record<string, unknown>;
  // {"AWS": "*"} is the same as "*": everyone, AWS services included.
  if (list(p.AWS).includes('*')) return true;
  return list(p.Service).some((s) => typeof s === 'string' && s.toLowerCase() === service.toLowerCase());
}

type Comparison = (policyValue: string, contextValue: string) => boolean;

const COMPARISONS: Record<string, { compare: Comparison; negated: boolean }> = {
  StringEquals: { compare: (p, c) => p === c, negated: false },
  StringNotEquals: { compare: (p, c) => p === c, negated: true },
  StringEqualsIgnoreCase: { compare: (p, c) => p.toLowerCase() === c.toLowerCase(), negated: false },
  StringNotEqualsIgnoreCase: { compare: (p, c) => p.toLowerCase() === c.toLowerCase(), negated: true },
  StringLike: { compare: (p, c) => wildcard(p, c, false), negated: false },
  StringNotLike: { compare: (p, c) => wildcard(p, c, false), negated: true },
  ArnEquals: { compare: (p, c) => wildcard(p, c, false), negated: false },
  ArnLike: { compare: (p, c) => wildcard(p, c, false), negated: false },
  ArnNotEquals: { compare: (p, c) => wildcard(p, c, false), negated: true },
  ArnNotLike: { compare: (p, c) => wildcard(p, c, false), negated: true },
  Bool: { compare: (p, c) => p.toLowerCase() === c.toLowerCase(), negated: false },
};

/** One condition operator block, e.g. `ArnEquals: { 'aws:SourceArn': '...' }`: every key must hold. */
function operatorHolds(operator: string, keys: unknown, context: Readonly<Record<string, string>>): boolean {
  if (/^For(Any|All)Value:/.test(operator)) throw new UnsupportedPolicy(`set operator ${operator} is not evaluated`);
  const ifExists = operator.endsWith('IfExists');
  const base = ifExists ? operator.slice(0, -'IfExists'.length) : operator;
  if (keys === null || typeof keys !== 'object') throw new UnsupportedPolicy(`condition ${operator} is not an object`);
  return Object.entries(keys as Record<string, unknown>).every(([rawKey, rawValues]) => {
    const key = Object.keys(context).find((k) => k.toLowerCase() === rawKey.toLowerCase());
    const values = list(rawValues).map(String);
    if (base === 'Null') return values.some((v) => (v.toLowerCase() === 'true') === (key === undefined));
    const comparison = COMPARISONS[base];
    if (!comparison) throw new UnsupportedPolicy(`condition operator ${operator} is not evaluated`);
    if (key === undefined) return ifExists || comparison.negated;
    const matched = values.some((v) => comparison.compare(v, context[key]));
    return comparison.negated ? !matched : matched;
  });
}

function statementApplies(statement: Record<string, unknown>, request: ServiceRequest): boolean {
  const principal = 'NotPrincipal' in statement ? !principalMatches(statement.NotPrincipal, request.service) : principalMatches(statement.Principal, request.service);
  if (!principal) return false;
  const actionMatches = (patterns: unknown) => list(patterns).some((a) => wildcard(String(a), request.action, true));
  const action = 'NotAction' in statement ? !actionMatches(statement.NotAction) : actionMatches(statement.Action);
  if (!action) return false;
  const resourceMatches = (patterns: unknown) => list(patterns).some((r) => wildcard(String(r), request.resource, false));
  const resource = 'NotResource' in statement ? !resourceMatches(statement.NotResource) : 'Resource' in statement ? resourceMatches(statement.Resource) : true;
  if (!resource) return false;
  return Object.entries((statement.Condition as Record<string, unknown> | undefined) ?? {}).every(([op, keys]) => operatorHolds(op, keys, request.context));
}

/** IAM's decision for one request by a service principal against one resource policy (absent: no policy). */
export function evaluateResourcePolicy(policy: unknown, request: ServiceRequest): Decision {
  if (policy === undefined || policy === null) return 'ImplicitlyDenied';
  const statements = list((policy as { Statement?: unknown }).Statement) as Record<string, unknown>[];
  let allowed = false;
  for (const statement of statements) {
    if (statement === null || typeof statement !== 'object') throw new UnsupportedPolicy('a statement is not an object');
    if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') throw new UnsupportedPolicy(`statement effect ${String(statement.Effect)} is not Allow or Deny`);
    if (!statementApplies(statement, request)) continue;
    if (statement.Effect === 'Deny') return 'ExplicitlyDenied';
    allowed = true;
  }
  return allowed ? 'Allowed' : 'ImplicitlyDenied';
}

/** The request context EventBridge's delivery carries. */
export function deliveryContext(sourceArn: string, account: string): Record<string, string> {
  return {
    'aws:SourceArn': sourceArn,
    'aws:SourceAccount': account,
    'aws:SecureTransport': 'true',
    'aws:PrincipalIsAWSService': 'true',
    'aws:PrincipalServiceName': EVENTS_PRINCIPAL,
  };
}

/** Evaluates each probe against the resource policy (the document as the API returns it; null or absent: no policy). */
export function simulateDelivery(policy: string | null | undefined, resourceArn: string, account: string, probes: readonly DeliveryProbe[]): DeliveryDecision[] {
  let document: unknown;
  if (policy) {
    try {
      document = JSON.parse(policy);
    } catch (error) {
      return probes.map((p) => ({ ...p, decision: 'Error', error: `the policy is not JSON: ${(error as Error).message}` }));
    }
  }
  return probes.map((probe): DeliveryDecision => {
    try {
      const decision = evaluateResourcePolicy(document, {
        service: EVENTS_PRINCIPAL,
        action: probe.action,
        resource: resourceArn,
        context: deliveryContext(probe.sourceArn, account),
      });
      return { ...probe, decision };
    } catch (error) {
      if (error instanceof UnsupportedPolicy) return { ...probe, decision: 'Error', error: error.message };
      throw error;
    }
  });
}
