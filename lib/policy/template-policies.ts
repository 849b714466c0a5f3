// Every IAM policy of a synthesized template, resolved to concrete ARNs: identity policies (inline, AWS::IAM::Policy,
// customer and AWS managed), permissions boundaries, trust policies and resource policies. No aws-cdk-lib import.
import type { CallEnv } from './calls';
import { TemplateResolver, type Template } from './intrinsics';

/** An IAM policy document. */
export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: readonly Statement[] | Statement;
}

/** One statement, as written (Action or NotAction, Resource or NotResource, …). */
export interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: unknown;
  readonly NotPrincipal?: unknown;
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/** A policy found in a template: where, and its resolved document. */
export interface FoundPolicy {
  readonly logicalId: string;
  readonly type: string;
  /** Which policy of the resource: `Policies[Function]`, `PolicyDocument`, `AssumeRolePolicyDocument`. */
  readonly where: string;
  readonly kind: 'identity' | 'resource' | 'trust';
  readonly document: PolicyDocument;
}

/** A role of the template with everything that decides what it may do. */
export interface RoleModel {
  readonly logicalId: string;
  /** Construct path below the stack (`aws:cdk:path` without the stack name and `/Resource`), else the logical id. */
  readonly path: string;
  readonly arn: string;
  readonly identityPolicies: readonly { readonly name: string; readonly policy: PolicyDocument }[];
  readonly boundary?: PolicyDocument;
  readonly trust?: PolicyDocument;
  /** AWS managed policy ARNs whose documents were not supplied. */
  readonly unknownManagedPolicies: readonly string[];
}

/** A resource policy and the ARNs it governs. */
export interface ResourcePolicy {
  readonly logicalId: string;
  readonly type: string;
  /** ARNs (or ARN prefixes ending in `/*` for S3 objects) the policy applies to. */
  readonly resources: readonly string[];
  readonly policy: PolicyDocument;
}

/** Every policy of a template, resolved. */
export interface TemplatePolicies {
  readonly policies: readonly FoundPolicy[];
  readonly roles: readonly RoleModel[];
  readonly resourcePolicies: readonly ResourcePolicy[];
  readonly resolver: TemplateResolver;
}

/** The statements of a document as a list. */
export function statementsOf(document: PolicyDocument): readonly Statement[] {
  return Array.isArray(document.Statement) ? document.Statement : [document.Statement as Statement];
}

/** A list of one string or many. */
export function listOf(value: string | readonly string[] | undefined): readonly string[] {
  return value === undefined ? [] : typeof value === 'string' ? [value] : value;
}

/** The construct path of a resource below its stack, from `aws:cdk:path` metadata; else its logical id. */
function constructPath(resource: { Metadata?: Record<string, unknown> }, logicalId: string): string {
  const path = resource.Metadata?.['aws:cdk:path'];
  if (typeof path !== 'string') return logicalId;
  return path.split('/').slice(1).join('/').replace(/\/Resource$/, '');
}

/**
 * Reads every policy of `template` in `env`. `managedPolicy` returns the document of an AWS managed policy by
 * ARN (undefined when not known: the role lists it in `unknownManagedPolicies`).
 */
export function templatePolicies(
  template: Template,
  env: CallEnv,
  options: { managedPolicy?: (arn: string) => PolicyDocument | undefined; parameters?: Readonly<Record<string, unknown>> } = {},
): TemplatePolicies {
  const resolver = new TemplateResolver(template, env, options.parameters);
  const policies: FoundPolicy[] = [];
  const resourcePolicies: ResourcePolicy[] = [];
  const attached = new Map<string, { name: string; policy: PolicyDocument }[]>();
  const attach = (roleRef: unknown, name: string, policy: PolicyDocument) => {
    const roleName = String(roleRef);
    attached.set(roleName, [...(attached.get(roleName) ?? []), { name, policy }]);
  };
  const customerManaged = new Map<string, PolicyDocument>();

  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const props = (resource.Properties ?? {}) as Record<string, unknown>;
    const resolved = () => resolver.resolve(props) as Record<string, unknown>;
    switch (resource.Type) {
      case 'AWS::IAM::Policy':
      case 'AWS::IAM::ManagedPolicy': {
        const p = resolved();
        const document = p.PolicyDocument as PolicyDocument;
        policies.push({ logicalId, type: resource.Type, where: 'PolicyDocument', kind: 'identity', document });
        for (const role of (p.Roles as unknown[]) ?? []) attach(role, logicalId, document);
        if (resource.Type === 'AWS::IAM::ManagedPolicy') customerManaged.set(String(resolver.ref(logicalId)), document);
        break;
      }
      case 'AWS::IAM::Role': {
        const p = resolved();
        for (const inline of (p.Policies as { PolicyName: string; PolicyDocument: PolicyDocument }[]) ?? []) {
          policies.push({ logicalId, type: resource.Type, where: `Policies[${inline.PolicyName}]`, kind: 'identity', document: inline.PolicyDocument });
        }
        if (p.AssumeRolePolicyDocument) {
          policies.push({ logicalId, type: resource.Type, where: 'AssumeRolePolicyDocument', kind: 'trust', document: p.AssumeRolePolicyDocument as PolicyDocument });
          resourcePolicies.push({ logicalId, type: resource.Type, resources: [resolver.attribute(logicalId, 'Arn')], policy: p.AssumeRolePolicyDocument as PolicyDocument });
        }
        break;
      }
      case 'AWS::SNS::TopicPolicy':
      case 'AWS::SQS::QueuePolicy':
      case 'AWS::S3::BucketPolicy': {
        const p = resolved();
        const document = p.PolicyDocument as PolicyDocument;
        policies.push({ logicalId, type: resource.Type, where: 'PolicyDocument', kind: 'resource', document });
        const targets =
          resource.Type === 'AWS::SNS::TopicPolicy'
            ? (p.Topics as string[])
            : resource.Type === 'AWS::SQS::QueuePolicy'
              ? (p.Queues as string[]).map((url) => {
                  const [, host, account, name] = /^https:\/\/sqs\.([^.]+)\.[^/]+\/(\d+)\/(.+)$/.exec(url) ?? [];
                  return `arn:${env.partition}:sqs:${host}:${account}:${name}`;
                })
              : [`arn:${env.partition}:s3:::${String(p.Bucket)}`, `arn:${env.partition}:s3:::${String(p.Bucket)}/*`];
        resourcePolicies.push({ logicalId, type: resource.Type, resources: targets, policy: document });
        break;
      }
      case 'AWS::ECR::Repository':
      case 'AWS::CodeArtifact::Domain':
      case 'AWS::CodeArtifact::Repository': {
        // A policy embedded in the resource (RepositoryPolicyText, PermissionsPolicyDocument): its statements name no
        // Resource, AWS applies them to the resource itself; validation and simulation get that Resource made explicit.
        const p = resolved();
        const document = (resource.Type === 'AWS::ECR::Repository' ? p.RepositoryPolicyText : p.PermissionsPolicyDocument) as PolicyDocument | undefined;
        if (!document) break;
        const where = resource.Type === 'AWS::ECR::Repository' ? 'RepositoryPolicyText' : 'PermissionsPolicyDocument';
        const arn = resolver.attribute(logicalId, 'Arn');
        const policy: PolicyDocument = { ...document, Statement: statementsOf(document).map((s) => (s.Resource === undefined && s.NotResource === undefined ? { ...s, Resource: arn } : s)) };
        // Validated with that Resource too: an action that cannot apply to the resource is a finding.
        policies.push({ logicalId, type: resource.Type, where, kind: 'resource', document: policy });
        resourcePolicies.push({ logicalId, type: resource.Type, resources: [arn], policy });
        break;
      }
      case 'AWS::Lambda::Permission': {
        const p = resolved();
        const fn = String(p.FunctionName);
        const functionArn = fn.startsWith('arn:') ? fn : `arn:${env.partition}:lambda:${env.region}:${env.account}:function:${fn}`;
        const principal = String(p.Principal);
        const condition: Record<string, Record<string, string>> = {};
        if (p.SourceArn) condition.ArnLike = { 'aws:SourceArn': String(p.SourceArn) };
        if (p.SourceAccount) condition.StringEquals = { 'aws:SourceAccount': String(p.SourceAccount) };
        const document: PolicyDocument = {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: logicalId,
              Effect: 'Allow',
              Principal: principal.endsWith('.amazonaws.com') ? { Service: principal } : { AWS: principal },
              Action: String(p.Action),
              Resource: functionArn,
              ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
            },
          ],
        };
        policies.push({ logicalId, type: resource.Type, where: 'Permission', kind: 'resource', document });
        resourcePolicies.push({ logicalId, type: resource.Type, resources: [functionArn, `${functionArn}:*`], policy: document });
        break;
      }
      default:
        break;
    }
  }
  // Lambda permissions on one function add up to one resource policy.
  const merged = mergeByResource(resourcePolicies);

  const roles: RoleModel[] = Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::IAM::Role')
    .map(([logicalId, resource]) => {
      const p = resolver.resolve(resource.Properties ?? {}) as Record<string, unknown>;
      const name = resolver.physicalName(logicalId);
      const identityPolicies = [
        ...((p.Policies as { PolicyName: string; PolicyDocument: PolicyDocument }[]) ?? []).map((i) => ({ name: i.PolicyName, policy: i.PolicyDocument })),
        ...(attached.get(name) ?? []),
      ];
      const unknownManagedPolicies: string[] = [];
      for (const arn of (p.ManagedPolicyArns as string[]) ?? []) {
        const document = customerManaged.get(arn) ?? options.managedPolicy?.(arn);
        if (document) identityPolicies.push({ name: arn, policy: document });
        else unknownManagedPolicies.push(arn);
      }
      const boundaryArn = p.PermissionsBoundary as string | undefined;
      const boundary = boundaryArn ? (customerManaged.get(boundaryArn) ?? options.managedPolicy?.(boundaryArn)) : undefined;
      if (boundaryArn && !boundary) unknownManagedPolicies.push(boundaryArn);
      return {
        logicalId,
        path: constructPath(resource, logicalId),
        arn: resolver.attribute(logicalId, 'Arn'),
        identityPolicies,
        boundary,
        trust: p.AssumeRolePolicyDocument as PolicyDocument | undefined,
        unknownManagedPolicies,
      };
    });
  return { policies, roles, resourcePolicies: merged, resolver };
}

function mergeByResource(policies: ResourcePolicy[]): ResourcePolicy[] {
  const out: ResourcePolicy[] = [];
  for (const policy of policies) {
    const same = policy.type === 'AWS::Lambda::Permission' ? out.find((p) => p.type === policy.type && p.resources[0] === policy.resources[0]) : undefined;
    if (same) {
      out[out.indexOf(same)] = { ...same, logicalId: `${same.logicalId}+${policy.logicalId}`, policy: { Version: '2012-10-17', Statement: [...statementsOf(same.policy), ...statementsOf(policy.policy)] } };
    } else out.push(policy);
  }
  return out;
}

/** The resource policy that governs `arn` (a topic, queue, bucket or object, function, role), if any. */
export function resourcePolicyFor(policies: readonly ResourcePolicy[], arn: string): ResourcePolicy | undefined {
  return policies.find((p) => p.resources.some((r) => r === arn || (r.endsWith('/*') && arn.startsWith(r.slice(0, -1)))));
}
