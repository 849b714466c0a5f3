// Whether a queue's or topic's resource policy lets EventBridge deliver for a given rule, and nothing more. AWS's IAM
// policy simulator cannot answer this (SimulatePrincipalPolicy and SimulateCustomPolicy take no service principal as the
// caller), so the checker evaluates the policy offline with @cloud-copilot/iam-simulate, which implements IAM's
// evaluation logic (principals, actions, resources, every condition operator) and validates actions and ARNs against
// the Service Authorization Reference. No SDK, no CDK.

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

/** A probe and the decision the policy gave. */
export interface DeliveryDecision extends DeliveryProbe {
  readonly decision: 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied' | 'Error';
  /** For Error: why the simulation could not run (an invalid policy, an unknown action). */
  readonly error?: string;
}

export const EVENTS_PRINCIPAL = 'events.amazonaws.com';

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

/** Evaluates each probe against the resource policy (the policy document as the API returns it; absent: no policy). */
export async function simulateDelivery(
  policy: string | undefined,
  resourceArn: string,
  account: string,
  probes: readonly DeliveryProbe[],
): Promise<DeliveryDecision[]> {
  // Loaded on first use: `doplab check --facts` never needs the simulator or its IAM data.
  const { runSimulation } = await import('@cloud-copilot/iam-simulate');
  let document: unknown;
  if (policy !== undefined && policy !== '') {
    try {
      document = JSON.parse(policy);
    } catch (error) {
      return probes.map((p) => ({ ...p, decision: 'Error', error: `the policy is not JSON: ${(error as Error).message}` }));
    }
  }
  return Promise.all(
    probes.map(async (probe): Promise<DeliveryDecision> => {
      const result = await runSimulation(
        {
          request: {
            principal: EVENTS_PRINCIPAL,
            action: probe.action,
            resource: { resource: resourceArn, accountId: account },
            contextVariables: {
              'aws:SourceArn': probe.sourceArn,
              'aws:SourceAccount': account,
              'aws:SecureTransport': 'true',
              'aws:PrincipalIsAWSService': 'true',
              'aws:PrincipalServiceName': EVENTS_PRINCIPAL,
            },
          },
          identityPolicies: [],
          serviceControlPolicies: [],
          resourceControlPolicies: [],
          ...(document === undefined ? {} : { resourcePolicy: document }),
        },
        {},
      );
      if (result.resultType === 'error') return { ...probe, decision: 'Error', error: JSON.stringify(result.errors) };
      return { ...probe, decision: result.overallResult };
    }),
  );
}
