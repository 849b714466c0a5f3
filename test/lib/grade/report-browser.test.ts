// The class report in a real browser: Debian's chromium driven by playwright-core (never a downloaded browser).
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { gradeClass } from '../../../lib/grade/grade';
import { writeReports } from '../../../lib/grade/reports';
import { parseRoster } from '../../../lib/grade/roster';
import { ResultStore } from '../../../lib/grade/store';
import { findLab } from '../../../lib/registry';
import { ARTIFACTS, NO_CHROMIUM, hasChromium, launchChromium } from '../../support/chromium';
import { FACTS, SimulatedClass, type SimulatedAccount } from '../../support/simulated-class';

/** The simulated accounts answer this lab's calls (other labs land in parallel). */
const LABS = [findLab('cloudwatch-metric-filters')];

const LEARNERS: (SimulatedAccount & { learner: string })[] = [
  { learner: 'Smith, Ann', accountId: '111111111111', roleName: 'DopLabGrader', facts: FACTS.solved },
  { learner: 'Bob "B" Jones', accountId: '222222222222', roleName: 'DopLabGrader', facts: FACTS.starting },
  { learner: 'carol', accountId: '333333333333' },
  { learner: 'dave', accountId: '444444444444', roleName: 'DopLabGrader', facts: FACTS.solved },
  { learner: 'erin', accountId: '555555555555', roleName: 'DopLabGrader', facts: FACTS.starting },
];

async function classReport(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'doplab-report-browser-'));
  const roster = parseRoster(`learner,account_id\n${LEARNERS.map((l) => `"${l.learner.replace(/"/g, '""')}",${l.accountId}`).join('\n')}\n`, 'class.csv', { roleName: 'DopLabGrader', region: 'eu-west-1' });
  const cls = new SimulatedClass(LEARNERS);
  const store = new ResultStore(dir);
  await gradeClass({ roster, labs: LABS, store, instructor: cls.instructorSession(), newSession: cls.newSession });
  return writeReports(dir, roster, LABS, store).files.html;
}

const visibleLearners = (page: Page) =>
  page.$$eval('#heatmap tbody tr', (rows) => rows.filter((r) => (r as unknown as { style: { display: string } }).style.display !== 'none').map((r) => r.getAttribute('data-learner')));

if (!hasChromium()) {
  describe('class report in chromium', () => {
    it.skip(NO_CHROMIUM, () => undefined);
  });
} else {
  describe('class report in chromium', () => {
    let context: BrowserContext;
    let page: Page;
    const requests: string[] = [];

    beforeAll(async () => {
      const html = await classReport();
      context = await launchChromium({ offline: true });
      page = await context.newPage();
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(pathToFileURL(html).href);
    });

    afterAll(async () => {
      await context?.close();
    });

    it('renders offline, fetching nothing but the file itself', async () => {
      expect(await page.title()).toBe('doplab grades');
      expect(requests.every((url) => url.startsWith('file://'))).toBe(true);
      expect(await page.textContent('#summary')).toContain('5 learners · 2 passed everything · 1 with a lab not graded');
    });

    it('has one heatmap row per learner and one cell per check', async () => {
      expect(await visibleLearners(page)).toEqual(LEARNERS.map((l) => l.learner));
      const cells = await page.$$eval('#heatmap tbody tr', (rows) => rows.map((r) => r.querySelectorAll('td.c').length));
      const checks = LABS.reduce((n, lab) => n + lab.checker.checks.length, 0);
      expect(cells).toEqual(LEARNERS.map(() => checks));
      expect(await page.$$eval('#heatmap tbody tr:first-child td.c', (tds) => tds.every((td) => td.classList.contains('PASS')))).toBe(true);
    });

    it('filters by name and by outcome', async () => {
      await page.fill('#filter', 'o');
      expect(await visibleLearners(page)).toEqual(['Bob "B" Jones', 'carol']);
      expect(await page.textContent('#shown')).toBe('2');
      await page.fill('#filter', '');
      await page.selectOption('#show', 'passed');
      expect(await visibleLearners(page)).toEqual(['Smith, Ann', 'dave']);
      await page.selectOption('#show', 'failed');
      expect(await visibleLearners(page)).toEqual(['Bob "B" Jones', 'carol', 'erin']);
      await page.selectOption('#show', 'all');
    });

    it('sorts by score and by name, each click reversing the order', async () => {
      await page.click('th[data-key="percent"]');
      const ascending = await page.$$eval('#heatmap tbody tr', (rows) => rows.map((r) => Number(r.getAttribute('data-percent'))));
      expect(ascending).toEqual([...ascending].sort((a, b) => a - b));
      await page.click('th[data-key="percent"]');
      const descending = await page.$$eval('#heatmap tbody tr', (rows) => rows.map((r) => Number(r.getAttribute('data-percent'))));
      expect(descending).toEqual([...ascending].sort((a, b) => b - a));
      await page.click('th[data-key="learner"]');
      expect((await visibleLearners(page))[0]).toBe('Bob "B" Jones');
    });

    it('writes a screenshot artifact', async () => {
      mkdirSync(ARTIFACTS, { recursive: true });
      const path = join(ARTIFACTS, 'grade-report.png');
      const png = await page.screenshot({ path, fullPage: true });
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      expect(existsSync(path)).toBe(true);
    });
  });
}
