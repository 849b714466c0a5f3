import { join } from 'node:path';
import { doplab, hasStackTrace, ROOT } from './helpers';

// The lambda-canary lab as a user runs it offline: its shipped facts through the real CLI.
const LAB = 'lambda-canary';
const facts = (state: string) => join(ROOT, 'labs', LAB, 'facts', `${state}.json`);

describe('doplab check lambda-canary --facts', () => {
  it('exits 1 on the starting state, with the findings and their hints', () => {
    const run = doplab(['check', LAB, '--facts', facts('starting'), '--no-color']);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/✘ The deployment group releases as a canary +0\/20 +\[1\.4\]/);
    expect(run.stdout).toMatch(/observed: the application has no deployment group/);
    expect(run.stdout).toMatch(/Score 0\/100/);
    expect(hasStackTrace(run.stdout + run.stderr)).toBe(false);
  });

  it('exits 0 on the solved state', () => {
    const run = doplab(['check', LAB, '--facts', facts('solved'), '--no-color']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/✔ The alarm rolled release 3 back +20\/20 +\[1\.4\]/);
    expect(run.stdout).toMatch(/Score 100\/100 — 5 passed, 0 failed/);
  });

  it('lists the lab with its task statement and cost', () => {
    const run = doplab(['list', '--json']);
    expect(run.status).toBe(0);
    const labs = JSON.parse(run.stdout) as { id: string }[];
    expect(labs.find((l) => l.id === LAB)).toMatchObject({ taskStatements: ['1.4'], difficulty: 'intermediate', costPerHour: 0.00105 });
  });
});
