// The second region of a two-region lab (stacksets-multi-region, backup-dr): no CDK import, the checker loads this.

/** A commercial or GovCloud region name, e.g. `eu-west-1`, `us-gov-west-1`, `ap-southeast-7`. */
export const REGION_PATTERN = /^[a-z]{2}(-gov)?-[a-z]+-\d{1,2}$/;

/** The second region when none is configured: us-west-2 next to us-east-1, else us-east-1. */
export function defaultSecondRegion(deployRegion: string): string {
  return deployRegion === 'us-east-1' ? 'us-west-2' : 'us-east-1';
}

/** CDK context key that picks a lab's second region (`-c doplab:<lab id>:secondRegion=eu-west-1`). */
export function secondRegionContext(labId: string): string {
  return `doplab:${labId}:secondRegion`;
}

/** The second region of a deployed lab: its stack output `outputId` when known and valid, else the default. */
export function secondRegionFromOutputs(deployRegion: string, outputId: string, outputs?: Readonly<Record<string, string>>): string {
  const configured = outputs?.[outputId];
  return configured && REGION_PATTERN.test(configured) && configured !== deployRegion ? configured : defaultSecondRegion(deployRegion);
}
