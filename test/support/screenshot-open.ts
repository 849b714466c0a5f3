// Retakes docs/open.png, the README's picture of `doplab open`: `npx tsx test/support/screenshot-open.ts`.
// The page as a learner sees it, with the product's own re-check interval (30 s): cloudwatch-metric-filters
// solved but for an alarm without datapoints yet (PENDING), the Check button pressed, the alarm turning OK,
// and the page's own re-check settling it. Served against the local fake AWS endpoint, shot in Debian's
// chromium. Takes about 35 s (one re-check interval).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AwsSession } from '../../lib/aws/clients';
import { EXPIRES_AT_OUTPUT } from '../../lib/cdk/base-names';
import { openLab } from '../../lib/commands/open';
import type { Io } from '../../lib/io';
import { findLab } from '../../lib/registry';
import { launchChromium } from './chromium';
import { FakeAws, fakeStateFromFacts } from './fake-aws';

const LAB = findLab('cloudwatch-metric-filters');
const OUT = join(__dirname, '..', '..', 'docs', 'open.png');

async function main(): Promise<void> {
  // The passed check the page records goes to a throwaway home, never the user's ~/.doplab.
  process.env.DOPLAB_HOME = mkdtempSync(join(tmpdir(), 'doplab-screenshot-home-'));
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const { state } = fakeStateFromFacts(LAB.examples.solved);
  state.metricAlarms = state.metricAlarms.map((a) => ({ ...a, StateValue: 'INSUFFICIENT_DATA', StateReason: 'Insufficient Data: 1 datapoint was unknown.' }));
  const now = Date.now();
  state.stacks = state.stacks.map((s) => ({ ...s, CreationTime: new Date(now - 35 * 60_000).toISOString(), Outputs: { ...s.Outputs, [EXPIRES_AT_OUTPUT]: new Date(now + 3 * 3600_000).toISOString() } }));
  const fake = await FakeAws.start(state);
  const session = new AwsSession({ endpointUrl: fake.url, region: 'eu-west-1', credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' } });
  const io: Io = { out: () => undefined, err: (t) => process.stderr.write(`${t}\n`), color: false, interactive: false };
  let stop: () => void = () => undefined;
  let exited: Promise<number> = Promise.resolve(0);
  const url = await new Promise<string>((resolve) => {
    exited = openLab(LAB, { region: 'eu-west-1', endpointUrl: fake.url }, io, { browser: false }, { session, onListening: resolve, stop: new Promise<void>((r) => (stop = r)) });
  });
  const context = await launchChromium({ viewport: { width: 1280, height: 900 } });
  try {
    const page = await context.newPage();
    await page.goto(url);
    await page.click('#check');
    await page.waitForSelector('body[data-checks="1"]');
    fake.state.metricAlarms = fake.state.metricAlarms.map((a) => ({ ...a, StateValue: 'OK', StateReason: 'Threshold Crossed: 1 datapoint [0.0] was not greater than the threshold (0.0).' }));
    await page.waitForSelector('body[data-checks="2"]', { timeout: 45_000 });
    await page.$eval('#side', (side) => side.scrollTo(0, 0));
    await page.screenshot({ path: OUT });
    process.stdout.write(`wrote ${OUT}\n`);
  } finally {
    await context.close();
    stop();
    await exited.catch(() => undefined);
    await fake.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
  process.exitCode = 1;
});
