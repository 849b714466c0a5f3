// Policy-validation warnings a lab accepts, each reviewed and with its reason. The proofs fail on every error, on
// every warning no entry accepts, and on every entry no warning matches (a stale entry hides nothing). No aws-cdk-lib
// import: declarations are plain data.
import { logicalIdAt, resolveRefs } from './proof';
import type { TemplatePolicies } from './template-policies';
import type { PolicyFinding } from './validate';

/** One accepted warning: a resource that no action of its statement supports (it grants nothing). */
export interface AcceptedWarning {
  /** The construct path of the policy's resource below the stack, e.g. `Orders/Pipeline/Role/DefaultPolicy`. */
  readonly policy: string;
  /** The resource the warning is about; `@{<construct path>.<attribute>}` as in DeclaredCall. */
  readonly resource: string;
  /** Why it is harmless and why the policy is not narrowed instead. */
  readonly reason: string;
}

/** A lab's `labs/<id>/calls.ts` may export `acceptedPolicyWarnings`. */
export type LabAcceptedWarnings = readonly AcceptedWarning[];

/** Whether `entry` accepts `finding` (a warning of the template `tp`). */
function accepts(tp: TemplatePolicies, entry: AcceptedWarning, finding: PolicyFinding): boolean {
  if (finding.severity !== 'warning' || finding.logicalId !== logicalIdAt(tp, entry.policy)) return false;
  try {
    return finding.resource === resolveRefs(tp, entry.resource);
  } catch {
    return false; // the resource is not in this template (another context)
  }
}

/**
 * Sorts the warnings of one template: those no entry accepts, and the entries that accepted one. Errors are not
 * the business of this function (never acceptable): pass them in and they are returned as unaccepted.
 */
export function acceptWarnings(
  tp: TemplatePolicies,
  findings: readonly PolicyFinding[],
  accepted: LabAcceptedWarnings,
): { unaccepted: PolicyFinding[]; used: Set<AcceptedWarning> } {
  for (const entry of accepted) {
    if (entry.reason.trim().length < 20) throw new Error(`accepted warning on ${entry.policy} ${entry.resource}: give the reason it is harmless`);
  }
  const used = new Set<AcceptedWarning>();
  const unaccepted = findings.filter((finding) => {
    const entries = accepted.filter((entry) => accepts(tp, entry, finding));
    entries.forEach((entry) => used.add(entry));
    return entries.length === 0;
  });
  return { unaccepted, used };
}
