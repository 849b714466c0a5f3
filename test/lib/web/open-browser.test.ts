// `doplab open` in a real browser: Debian's chromium driven by playwright-core (never a downloaded browser),
// against the page the command serves and a local AWS endpoint (test/support/fake-aws) that the page's
// checks read through the SDK's whole stack.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { AwsSession, isReadOnlyAction } from '../../../lib/aws/clients';
import { EXPIRES_AT_OUTPUT } from '../../../lib/cdk/base-names';
import { openLab } from '../../../lib/commands/open';
import { checkerActions } from '../../../lib/engine';
import type { Io } from '../../../lib/io';
import { findLab } from '../../../lib/registry';
import { ARTIFACTS, NO_CHROMIUM, hasChromium, launchChromium } from '../../support/chromium';
import { FakeAws, fakeStateFromFacts } from '../../support/fake-aws';

const LAB = findLab('cloudwatch-metric-filters');
const SOLVED = LAB.examples.solved;
const RECHECK_MS = 1000;

if (!hasChromium()) {
  describe('doplab open in chromium', () => {
    it.skip(NO_CHROMIUM, () => undefined);
  });
} else {
  describe('doplab open in chromium', () => {
    let fake: FakeAws;
    let context: BrowserContext;
    let page: Page;
    let url = '';
    let stop: () => void = () => undefined;
    let exited: Promise<number>;
    const out: string[] = [];
    const requests: string[] = [];

    beforeAll(async () => {
      // Solved, except that the alarm has no datapoints yet: its check is PENDING until the alarm turns OK.
      const { state } = fakeStateFromFacts(SOLVED);
      state.metricAlarms = state.metricAlarms.map((a) => ({ ...a, StateValue: 'INSUFFICIENT_DATA', StateReason: 'Insufficient Data: 1 datapoint was unknown.' }));
      const now = Date.now();
      state.stacks = state.stacks.map((s) => ({
        ...s,
        CreationTime: new Date(now - 35 * 60_000).toISOString(),
        Outputs: { ...s.Outputs, [EXPIRES_AT_OUTPUT]: new Date(now + 3 * 3600_000).toISOString() },
      }));
      fake = await FakeAws.start(state);
      const session = new AwsSession({
        endpointUrl: fake.url,
        region: 'eu-west-1',
        credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
      });
      const io: Io = { out: (t) => out.push(t), err: (t) => out.push(t), color: false, interactive: false };
      const listening = new Promise<string>((resolve) => {
        exited = openLab(LAB, { region: 'eu-west-1', endpointUrl: fake.url }, io, { browser: false }, {
          session,
          recheckMs: RECHECK_MS,
          onListening: resolve,
          stop: new Promise<void>((resolve) => (stop = resolve)),
        });
        exited.catch(() => undefined);
      });
      url = await listening;
      context = await launchChromium({ viewport: { width: 1280, height: 900 } });
      page = await context.newPage();
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(url);
    });

    afterAll(async () => {
      await context?.close();
      stop();
      await exited?.catch(() => undefined);
      await fake?.stop();
    });

    it("renders the lab's README with its tables and code blocks, each with a copy button", async () => {
      expect(await page.title()).toBe('cloudwatch-metric-filters · doplab');
      const heading = /^# (.+)$/m.exec(readFileSync(LAB.instructions, 'utf8'))![1];
      expect(await page.textContent('#instructions h1')).toBe(heading);
      expect(await page.locator('#instructions table').count()).toBeGreaterThan(0);
      expect(await page.locator('#instructions table th').first().textContent()).not.toContain('|');
      expect(await page.locator('#instructions strong').count()).toBeGreaterThan(0);
      expect(await page.textContent('#instructions')).not.toContain('**');
      const blocks = page.locator('#instructions .code');
      expect(await blocks.count()).toBe(2);
      expect(await page.locator('#instructions .code button.copy').count()).toBe(2);
      expect(await page.textContent('#cost-per-hour')).toBe(`$${LAB.cost.usdPerHour.toFixed(4)} per hour`);
      expect(await page.textContent('#facts .tasks')).toContain('4.1 Domain 4 · Configure the collection, aggregation, and storage of logs and metrics');
    });

    it('fetches nothing but its own address, each request with the token', () => {
      const [origin, query] = url.split('/?');
      expect(requests.length).toBeGreaterThan(0);
      for (const r of requests) {
        expect(r.startsWith(`${origin}/`)).toBe(true);
        expect(r).toContain(query);
      }
    });

    it('shows that the lab is deployed here, the time left before expiry and the cost so far', async () => {
      await page.waitForSelector('#deployment #expires-in');
      const text = await page.textContent('#deployment');
      expect(text).toContain('Deployed in account 111122223333, eu-west-1');
      expect(await page.textContent('#expires-in')).toMatch(/^2h 5\dm$/);
      // 35 minutes at the lab's hourly cost.
      expect(await page.textContent('#cost-so-far')).toContain(`$${((35 / 60) * LAB.cost.usdPerHour).toFixed(4)}`);
      expect(await page.textContent('#commands')).toContain(`doplab deploy ${LAB.id} --region eu-west-1 --endpoint-url ${fake.url}`);
    });

    it('lists every check unchecked until Check is pressed', async () => {
      const statuses = await page.$$eval('#checklist li.check', (rows) => rows.map((r) => r.getAttribute('data-status')));
      expect(statuses).toEqual(LAB.checker.checks.map(() => 'NOT_CHECKED'));
    });

    it('fills the checklist when Check is pressed: statuses, points, evidence and hints, as the terminal shows them', async () => {
      fake.reset();
      await page.click('#check');
      await page.waitForSelector('body[data-checks="1"]');
      const rows = await page.$$eval('#checklist li.check', (lis) => lis.map((li) => [li.getAttribute('data-id'), li.getAttribute('data-status')]));
      expect(rows).toEqual(LAB.checker.checks.map((c) => [c.id, c.id === 'alarm-receiving-data' ? 'PENDING' : 'PASS']));
      const pending = page.locator('#checklist li[data-id="alarm-receiving-data"]');
      expect(await pending.locator('.pts').textContent()).toBe('0/5');
      expect(await pending.locator('dl').textContent()).toContain('is INSUFFICIENT_DATA');
      expect(await pending.locator('.hint').textContent()).toBe(LAB.checker.checks.find((c) => c.id === 'alarm-receiving-data')!.hint);
      expect(await page.textContent('#score')).toMatch(/^Score \d+\/\d+ — \d+ passed, 0 failed, 1 pending$/);
      expect(await page.textContent('#check-note')).toContain(`checking again in ${RECHECK_MS / 1000} s`);
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'open-page-pending.png') });
      // The same read-only calls as doplab check.
      const actions = [...new Set(fake.requests.map((r) => r.action))].sort();
      expect(actions).toEqual(checkerActions(LAB.checker));
      expect(actions.every(isReadOnlyAction)).toBe(true);
    });

    it('checks again by itself while something is PENDING, and highlights what changed', async () => {
      fake.state.metricAlarms = fake.state.metricAlarms.map((a) => ({ ...a, StateValue: 'OK', StateReason: 'Threshold Crossed: 1 datapoint [0.0] was not greater than the threshold (0.0).' }));
      await page.waitForSelector('body[data-checks="2"]', { timeout: 10_000 });
      const statuses = await page.$$eval('#checklist li.check', (lis) => lis.map((li) => li.getAttribute('data-status')));
      expect(statuses.every((s) => s === 'PASS')).toBe(true);
      expect(await page.$$eval('#checklist li.changed', (lis) => lis.map((li) => li.getAttribute('data-id')))).toEqual(['alarm-receiving-data']);
      expect(await page.textContent('#checklist li.changed .was')).toBe('was PENDING');
      expect(await page.textContent('#score')).toMatch(/^Score (\d+)\/\1 — \d+ passed, 0 failed$/);
      // The passing live check is noted for doplab status, and the deployment panel shows it.
      await page.waitForFunction(() => /check passed\d+\/\d+ at /.test((globalThis as unknown as { document: { querySelector(s: string): { textContent: string } | null } }).document.querySelector('#deployment')?.textContent ?? ''));
      // Settled: no further re-check is planned.
      await page.waitForTimeout(RECHECK_MS * 2);
      expect(await page.getAttribute('body', 'data-checks')).toBe('2');
    });

    it('writes screenshot artifacts', async () => {
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.$eval('#side', (side) => side.scrollTo(0, 0));
      const path = join(ARTIFACTS, 'open-page.png');
      const png = await page.screenshot({ path });
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      expect(existsSync(path)).toBe(true);
      await page.screenshot({ path: join(ARTIFACTS, 'open-page-full.png'), fullPage: true });
    });

    it('copies a code block to the clipboard', async () => {
      await context.grantPermissions(['clipboard-read', 'clipboard-write']);
      const block = page.locator('#commands .code').first();
      await block.locator('button.copy').click();
      await page.waitForSelector('#commands .code button.copy.done');
      expect(await page.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText())).toBe(await block.locator('code').textContent());
    });

    it('refuses a request without the token, from the page and from outside', async () => {
      const [origin] = url.split('/?');
      expect(await page.evaluate((o) => fetch(`${o}/api/status`).then((r) => r.status), origin)).toBe(403);
      expect(await page.evaluate((o) => fetch(`${o}/api/check?token=wrong`, { method: 'POST' }).then((r) => r.status), origin)).toBe(403);
      expect((await fetch(`${origin}/`)).status).toBe(403);
    });

    it('stops cleanly with exit code 0', async () => {
      stop();
      await expect(exited).resolves.toBe(0);
      expect(out).toContain(`Stopped serving ${LAB.id}.`);
      await expect(fetch(url)).rejects.toThrow();
    });
  });
}
