import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { LABS } from '../../labs';
import { defineChecker, type Check, type Checker, type TaskStatement } from '../../lib/checker';
import { DOP_C02_TASK_STATEMENTS } from '../../lib/exam';
import { FACTS_FORMAT } from '../../lib/facts-file';
import { defineLab, labPaths, type CostEstimate, type Lab } from '../../lib/lab';
import { INSTRUCTION_SECTIONS, catalogueProblems, labProblems } from '../../lib/lab-invariants';

// The fixture: a small, valid lab on disk (README and example facts in a temp folder). Each negative
// case below breaks exactly one thing of it and expects exactly one message.

interface DemoFacts {
  readonly logGroupExists: boolean;
  readonly retentionDays: number | null;
}
const demoFactsSchema: z.ZodType<DemoFacts> = z.object({ logGroupExists: z.boolean(), retentionDays: z.number().nullable() });
const demoOutputs = { logGroupName: 'LogGroupName' } as const;

const README = `# Demo lab

## Scenario
An app writes logs nobody keeps.

## Your tasks
1. Set a retention on the log group.

## What "done" means
The log group keeps events for 14 days.

## Hints
- Look at the log group's settings.

## Cost
Under a cent an hour.

## Clean up
Run doplab destroy demo-lab.
`;

// Created at load time: the test tables below name paths inside it.
const dir = mkdtempSync(join(tmpdir(), 'doplab-invariants-'));
writeFileSync(join(dir, 'README.md'), README);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a file into the fixture folder and returns its path. */
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function factsFile(labId: string, facts: unknown): string {
  return JSON.stringify({
    format: FACTS_FORMAT,
    lab: labId,
    account: '123456789012',
    region: 'us-east-1',
    gatheredAt: '2026-11-23T10:00:00.000Z',
    stack: { name: `DopLab-${labId}`, status: 'CREATE_COMPLETE', outputs: { LogGroupName: '/demo' } },
    facts,
  });
}

function examples(labId: string): Lab['examples'] {
  return {
    starting: file(`${labId}.starting.json`, factsFile(labId, { logGroupExists: true, retentionDays: null })),
    solved: file(`${labId}.solved.json`, factsFile(labId, { logGroupExists: true, retentionDays: 14 })),
  };
}

function checks(): Check<DemoFacts>[] {
  return [
    {
      id: 'log-group-exists',
      title: 'The log group exists',
      points: 1,
      taskStatement: '4.1',
      hint: 'Deploy the lab first.',
      run: (f) => ({
        status: f.logGroupExists ? 'PASS' : 'FAIL',
        evidence: { observed: String(f.logGroupExists), expected: 'true', where: '/demo' },
      }),
    },
    {
      id: 'retention-set',
      title: 'The log group keeps events for 14 days',
      points: 2,
      taskStatement: '4.2',
      hint: 'Log groups keep events forever by default.',
      dependsOn: ['log-group-exists'],
      run: (f) => ({
        status: f.retentionDays === 14 ? 'PASS' : 'FAIL',
        evidence: { observed: String(f.retentionDays), expected: '14', where: '/demo' },
      }),
    },
  ];
}

function checker(labId: string, overrides: Partial<Checker<typeof demoOutputs, DemoFacts>> = {}) {
  return defineChecker({
    labId,
    outputs: demoOutputs,
    actions: ['logs:DescribeLogGroups'],
    factsSchema: demoFactsSchema,
    gather: async () => ({ logGroupExists: true, retentionDays: null }),
    checks: checks(),
    ...overrides,
  });
}

function cost(overrides: Partial<CostEstimate> = {}): CostEstimate {
  return {
    usdPerHour: 0.0007,
    pricing: 'us-east-1 on-demand list prices, read 2026-11',
    items: [
      { resource: 'Lambda generator', usdPerHour: 0.0005, basis: '60 × $0.20/1M requests + GB-s' },
      { resource: 'Log ingestion', usdPerHour: 0.0002, basis: '0.0004 GB × $0.50/GB' },
    ],
    ...overrides,
  };
}

type DemoLab = Lab<typeof demoOutputs, DemoFacts>;

/** A valid lab; `overrides` replace whole fields. */
function demoLab(overrides: Partial<DemoLab> = {}): DemoLab {
  const id = overrides.id ?? 'demo-lab';
  return {
    id,
    title: 'Keep logs for two weeks',
    summary: 'An app writes logs nobody keeps; set a retention.',
    taskStatements: ['4.1', '4.2'],
    difficulty: 'foundational',
    minutes: 10,
    deployMinutes: 1,
    cost: cost(),
    instructions: join(dir, 'README.md'),
    examples: examples(id),
    checker: checker(id),
    loadStack: async () => ({ addLabStack: () => undefined }),
    loadSolution: async () => async () => undefined,
    ...overrides,
  };
}

function withCheck(index: number, change: Partial<Check<DemoFacts>>): Check<DemoFacts>[] {
  return checks().map((c, i) => (i === index ? { ...c, ...change } : c));
}

describe('labProblems', () => {
  it('finds no problem in a valid lab', () => {
    expect(labProblems(demoLab())).toEqual([]);
  });

  it('accepts a cost total that differs from the sum of its items only by float rounding', () => {
    const items = [
      { resource: 'a', usdPerHour: 0.1, basis: 'x' },
      { resource: 'b', usdPerHour: 0.2, basis: 'y' },
    ];
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(labProblems(demoLab({ cost: cost({ usdPerHour: 0.3, items }) }))).toEqual([]);
  });

  const cases: [string, () => DemoLab, string][] = [
    [
      'reports an id that is not kebab-case',
      () => demoLab({ id: 'Demo_Lab' }),
      'Lab Demo_Lab: id is not kebab-case (lowercase letters and digits joined by "-").',
    ],
    ['reports an empty title', () => demoLab({ title: '' }), 'Lab demo-lab: title is empty.'],
    ['reports a blank summary', () => demoLab({ summary: '   ' }), 'Lab demo-lab: summary is empty.'],
    [
      'reports an unknown difficulty',
      () => demoLab({ difficulty: 'expert' as never }),
      'Lab demo-lab: difficulty "expert" is not one of foundational, intermediate, advanced.',
    ],
    ['reports a lab that takes no time', () => demoLab({ minutes: 0 }), 'Lab demo-lab: minutes is 0; expected a number above 0.'],
    [
      'reports a negative deploy time',
      () => demoLab({ deployMinutes: -1 }),
      'Lab demo-lab: deployMinutes is -1; expected a number above 0.',
    ],
    ['reports a lab without task statements', () => demoLab({ taskStatements: [] }), 'Lab demo-lab: declares no exam task statement.'],
    [
      'reports a task statement that is not in the exam guide',
      // Typed labs cannot say 4.7 (TaskStatement is the exam's list); a lab built from `any` still could.
      () => demoLab({ taskStatements: ['4.1', '4.2', '4.7' as TaskStatement] }),
      'Lab demo-lab: task statement 4.7 is not a DOP-C02 task statement (1.1, 1.2, 1.3, 1.4, 2.1, 2.2, 2.3, 3.1, 3.2, 3.3, 4.1, 4.2, 4.3, 5.1, 5.2, 5.3, 6.1, 6.2, 6.3).',
    ],
    [
      'reports a task statement listed twice',
      () => demoLab({ taskStatements: ['4.1', '4.2', '4.1'] }),
      'Lab demo-lab: task statement 4.1 is listed more than once.',
    ],
    [
      'reports a declared task statement that no check proves',
      () => demoLab({ taskStatements: ['4.1', '4.2', '4.3'] }),
      'Lab demo-lab: task statement 4.3 is proven by no check.',
    ],
    ['reports a lab without a cost', () => demoLab({ cost: undefined as never }), 'Lab demo-lab: has no cost estimate.'],
    [
      'reports a negative cost per hour',
      () => demoLab({ cost: cost({ usdPerHour: -0.5 }) }),
      'Lab demo-lab: cost per hour is -0.5; expected a number ≥ 0.',
    ],
    [
      'reports a cost per hour that is not the sum of its items',
      () => demoLab({ cost: cost({ usdPerHour: 0.00067 }) }),
      'Lab demo-lab: cost per hour 0.00067 is not the sum of its items (0.0007).',
    ],
    [
      'reports a cost without a pricing note',
      () => demoLab({ cost: cost({ pricing: '' }) }),
      'Lab demo-lab: cost has no pricing note (where the prices come from and when they were read).',
    ],
    ['reports a cost without items', () => demoLab({ cost: cost({ usdPerHour: 0, items: [] }) }), 'Lab demo-lab: cost has no items.'],
    [
      'reports a cost item without a basis',
      () => demoLab({ cost: cost({ items: [cost().items[0], { ...cost().items[1], basis: ' ' }] }) }),
      'Lab demo-lab: cost item "Log ingestion" has no basis (how its price was worked out).',
    ],
    [
      'reports a cost item with a negative price',
      () => demoLab({ cost: cost({ items: [cost().items[0], { ...cost().items[1], usdPerHour: -0.0002 }] }) }),
      'Lab demo-lab: cost item "Log ingestion" costs -0.0002 per hour; expected a number ≥ 0.',
    ],
    [
      'reports a cost item that names no resource',
      () => demoLab({ cost: cost({ items: [cost().items[0], { ...cost().items[1], resource: '' }] }) }),
      'Lab demo-lab: cost item #2 names no resource.',
    ],
    [
      'reports missing instructions',
      () => demoLab({ instructions: join(dir, 'MISSING.md') }),
      `Lab demo-lab: instructions file ${join(dir, 'MISSING.md')} does not exist.`,
    ],
    [
      'reports a missing example facts file',
      () => demoLab({ examples: { ...examples('demo-lab'), starting: join(dir, 'nope.json') } }),
      `Lab demo-lab: example facts file of the starting state ${join(dir, 'nope.json')} does not exist.`,
    ],
    [
      'reports example facts that do not match the checker schema',
      () =>
        demoLab({
          examples: {
            ...examples('demo-lab'),
            solved: file('bad-solved.json', factsFile('demo-lab', { logGroupExists: true, retentionDays: '14' })),
          },
        }),
      `Lab demo-lab: example facts of the solved state are not valid: Facts file ${join(dir, 'bad-solved.json')} has malformed facts for demo-lab:\n` +
        '  at facts.retentionDays: Invalid input: expected number, received string',
    ],
    [
      'reports example facts of another lab',
      () => demoLab({ examples: { ...examples('demo-lab'), solved: examples('other-lab').solved } }),
      `Lab demo-lab: example facts of the solved state are not valid: Facts file ${join(dir, 'other-lab.solved.json')} holds facts of lab other-lab, not demo-lab.`,
    ],
    ['reports a lab without a checker', () => demoLab({ checker: undefined as never }), 'Lab demo-lab: has no checker.'],
    [
      'reports a checker declared for another lab',
      () => demoLab({ checker: checker('other-lab') }),
      'Lab demo-lab: checker is declared for lab other-lab.',
    ],
    ['reports a checker without checks', () => demoLab({ checker: checker('demo-lab', { checks: [] }) }), 'Lab demo-lab: checker has no checks.'],
    [
      'reports a check id that is not kebab-case',
      () => demoLab({ checker: checker('demo-lab', { checks: withCheck(1, { id: 'RetentionSet' }) }) }),
      'Lab demo-lab: check id "RetentionSet" is not kebab-case.',
    ],
    [
      'reports a check id used twice',
      () => demoLab({ checker: checker('demo-lab', { checks: [...checks(), { ...checks()[1], dependsOn: [] }] }) }),
      'Lab demo-lab: check id "retention-set" is used more than once.',
    ],
    [
      'reports a check without a title',
      () => demoLab({ checker: checker('demo-lab', { checks: withCheck(0, { title: '' }) }) }),
      'Lab demo-lab: check log-group-exists has no title.',
    ],
    [
      'reports a check without a hint',
      () => demoLab({ checker: checker('demo-lab', { checks: withCheck(1, { hint: '' }) }) }),
      'Lab demo-lab: check retention-set has no hint.',
    ],
    [
      'reports a check worth no points',
      () => demoLab({ checker: checker('demo-lab', { checks: withCheck(1, { points: 0 }) }) }),
      'Lab demo-lab: check retention-set is worth 0 points; expected a number above 0.',
    ],
    [
      'reports a check that proves a task statement the lab does not declare',
      () => demoLab({ checker: checker('demo-lab', { checks: [...checks(), { ...checks()[1], id: 'alarm-set', taskStatement: '3.1' }] }) }),
      'Lab demo-lab: check alarm-set proves task statement 3.1, which the lab does not declare (4.1, 4.2).',
    ],
    [
      'reports a check that depends on a later check',
      () => demoLab({ checker: checker('demo-lab', { checks: withCheck(0, { dependsOn: ['retention-set'] }) }) }),
      'Lab demo-lab: check log-group-exists depends on retention-set, which is not an earlier check.',
    ],
    [
      'reports a check that depends on an unknown check',
      () => demoLab({ checker: checker('demo-lab', { checks: withCheck(1, { dependsOn: ['log-group-exist'] }) }) }),
      'Lab demo-lab: check retention-set depends on log-group-exist, which is not an earlier check.',
    ],
    [
      'reports a check without a run function',
      () => demoLab({ checker: checker('demo-lab', { checks: withCheck(1, { run: undefined as never }) }) }),
      'Lab demo-lab: check retention-set has no run function.',
    ],
    [
      'reports a checker action that writes',
      () => demoLab({ checker: checker('demo-lab', { actions: ['logs:DescribeLogGroups', 'logs:PutRetentionPolicy'] }) }),
      'Lab demo-lab: checker action "logs:PutRetentionPolicy" is not read-only.',
    ],
    [
      'reports a checker action without a service prefix',
      () => demoLab({ checker: checker('demo-lab', { actions: ['DescribeLogGroups'] }) }),
      'Lab demo-lab: checker action "DescribeLogGroups" is not of the form service:Action.',
    ],
    [
      'reports a checker action spelled like an SDK command',
      () => demoLab({ checker: checker('demo-lab', { actions: ['logs:DescribeLogGroupsCommand '] }) }),
      'Lab demo-lab: checker action "logs:DescribeLogGroupsCommand " is not of the form service:Action.',
    ],
    [
      'reports a lab without a stack',
      () => demoLab({ loadStack: undefined as never }),
      'Lab demo-lab: has no loadStack (the scenario stack).',
    ],
    [
      'reports a lab without a solution',
      () => demoLab({ loadSolution: undefined as never }),
      'Lab demo-lab: has no loadSolution (the reference solution).',
    ],
  ];

  it.each(cases)('%s', (_name, build, message) => {
    expect(labProblems(build())).toEqual([message]);
  });

  it.each(INSTRUCTION_SECTIONS.map((s) => [s.name, s]))('reports instructions without a "%s" section', (name, section) => {
    const without = README.split('\n')
      .filter((line) => !section.heading.test(line))
      .join('\n');
    const path = file(`README-no-${name.replace(/\W+/g, '-')}.md`, without);
    expect(without).not.toEqual(README);
    expect(labProblems(demoLab({ instructions: path }))).toEqual([`Lab demo-lab: instructions ${path} have no "## ${name}" section.`]);
  });

  it('does not take a section mentioned in running text, or a level-3 heading, for the section', () => {
    const path = file('README-inline.md', README.replace('## Hints', 'Hints are below.\n### Hints'));
    expect(labProblems(demoLab({ instructions: path }))).toEqual([`Lab demo-lab: instructions ${path} have no "## Hints" section.`]);
  });

  it('accepts the usual spellings of the section headings', () => {
    const path = file(
      'README-spellings.md',
      ['## The scenario', '## Tasks', '## Done when', '## Hint', '## What it costs', '## Cleanup'].join('\n\nText.\n\n'),
    );
    expect(labProblems(demoLab({ instructions: path }))).toEqual([]);
  });
});

describe('catalogueProblems', () => {
  it('finds no problem when every id is unique', () => {
    expect(catalogueProblems([demoLab(), demoLab({ id: 'other-lab' })])).toEqual([]);
  });

  it('reports an id declared twice', () => {
    expect(catalogueProblems([demoLab(), demoLab({ id: 'other-lab' }), demoLab()])).toEqual([
      'Lab id demo-lab is declared 2 times in the catalogue.',
    ]);
  });
});

describe('defineLab: parts found by convention', () => {
  const data = {
    id: 'no-such-lab',
    title: 'A lab whose folder is missing',
    summary: 'Nothing here.',
    taskStatements: ['4.1'],
    difficulty: 'foundational',
    minutes: 1,
    deployMinutes: 1,
    cost: cost(),
  } as const;

  it('names the lab, the part and the file it expected when a part is missing', async () => {
    const lab = defineLab(data);
    const folder = join(__dirname, '..', '..', 'labs', 'no-such-lab');
    await expect(lab.loadSolution()).rejects.toThrow(`Lab no-such-lab has no solution: expected ${join(folder, 'solution')}.ts exporting solve.`);
    await expect(lab.loadStack()).rejects.toThrow(`Lab no-such-lab has no stack: expected ${join(folder, 'stack')}.ts exporting addLabStack.`);
    expect(() => lab.checker).toThrow(`Lab no-such-lab has no checker: expected ${join(__dirname, '..', '..', 'checkers', 'no-such-lab')}.ts exporting checker.`);
    expect(lab.instructions).toBe(join(folder, 'README.md'));
    expect(lab.examples.solved).toBe(join(folder, 'facts', 'solved.json'));
  });

  it('declares no preflight for a lab folder without preflight.ts', () => {
    expect(defineLab(data).preflight).toBeUndefined();
  });
});

describe('the real catalogue', () => {
  it('lists at least one lab', () => {
    expect(LABS.length).toBeGreaterThan(0);
  });

  it.each(LABS.map((lab) => [lab.id, lab]))('lab %s has no problems', (_id, lab) => {
    expect(labProblems(lab)).toEqual([]);
  });

  it('has no duplicate ids', () => {
    expect(catalogueProblems(LABS)).toEqual([]);
  });

  it.each(LABS.map((lab) => [lab.id, lab]))('lab %s finds every part by convention', async (_id, lab) => {
    expect(typeof (await lab.loadSolution())).toBe('function');
    expect(typeof (await lab.loadStack()).addLabStack).toBe('function');
    expect(lab.checker.checks.length).toBeGreaterThan(0);
    const paths = labPaths(lab.id);
    expect(lab.instructions).toBe(paths.instructions);
    expect(existsSync(`${paths.leftovers}.ts`)).toBe(true);
    expect(lab.preflight !== undefined).toBe(existsSync(`${paths.preflight}.ts`));
  });

  it('covers only task statements of the exam guide', () => {
    const covered = new Set<TaskStatement>(LABS.flatMap((lab) => lab.taskStatements));
    for (const ts of covered) expect(DOP_C02_TASK_STATEMENTS).toContain(ts);
  });
});
