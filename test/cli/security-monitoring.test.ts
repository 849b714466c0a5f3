import { join } from 'node:path';
import { doplab, hasStackTrace, ROOT } from './helpers';

// The security-monitoring lab as a user runs it offline: its shipped facts through the real CLI.
const LAB = 'security-monitoring';
const facts = (state: string) => join(ROOT, 'labs', LAB, 'facts', `${state}.json`);

describe('doplab check security-monitoring --facts', () => {
  it('exits 1 on the starting state, with the findings and their hints', () => {
    const run = doplab(['check', LAB, '--facts', facts('starting'), '--no-color']);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/✘ The trail is multi-region, logging, validated and encrypted with a key CloudTrail may use +0\/30 +\[6\.3\]/);
    expect(run.stdout).toMatch(/observed: validation off, key none, multi-region, logging: log file validation is off/);
    expect(run.stdout).toMatch(/Score 0\/100/);
    expect(hasStackTrace(run.stdout + run.stderr)).toBe(false);
  });

  it('exits 0 on the solved state', () => {
    const run = doplab(['check', LAB, '--facts', facts('solved'), '--no-color']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/Score 100\/100 — 8 passed, 0 failed/);
  });

  it('lists the lab with its task statements and cost', () => {
    const run = doplab(['list', '--json']);
    expect(run.status).toBe(0);
    const labs = JSON.parse(run.stdout) as { id: string }[];
    expect(labs.find((l) => l.id === LAB)).toMatchObject({ taskStatements: ['6.3', '4.2'], difficulty: 'intermediate', costPerHour: 0.02666 });
  });
});
