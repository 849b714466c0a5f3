// The lab's deploy preflight: the registry scanning configuration the lab's cleanup will restore. Loaded only by deploy.
import { ECRClient, GetRegistryScanningConfigurationCommand } from '@aws-sdk/client-ecr';
import { DoplabError } from '../../lib/errors';
import type { PreflightContext, PreflightResult } from '../../lib/lab';

/**
 * The registry scanning configuration is one per account and Region. Under enhanced scanning (Amazon Inspector, often
 * switched on for a whole organization) the lab's task — a basic scan-on-push rule — cannot be done without turning
 * Inspector's scanning off, so the deploy stops; otherwise it says what the cleanup will restore.
 */
export async function preflight(ctx: PreflightContext): Promise<PreflightResult> {
  const { scanningConfiguration } = await ctx.client(ECRClient).send(new GetRegistryScanningConfigurationCommand({}));
  const scanType = scanningConfiguration?.scanType ?? 'BASIC';
  if (scanType === 'ENHANCED') {
    throw new DoplabError(
      'DEPLOY_FAILED',
      'environment',
      `The ECR registry in ${ctx.region} uses ENHANCED scanning (Amazon Inspector); this lab's task is a basic scan-on-push rule, which would turn Inspector's scanning off.`,
      { hint: 'Deploy the lab in a Region whose registry uses basic scanning (aws ecr get-registry-scanning-configuration --region <region>).' },
    );
  }
  const rules = scanningConfiguration?.rules?.length ?? 0;
  return {
    notes: [
      `The ECR registry in ${ctx.region} uses basic scanning with ${rules} rule${rules === 1 ? '' : 's'}; the lab records this configuration and restores it on destroy.`,
    ],
  };
}
