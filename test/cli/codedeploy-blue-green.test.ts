import { join } from 'node:path';
import { doplab, hasStackTrace, ROOT } from './helpers';

// The codedeploy-blue-green lab as a user runs it offline: its shipped facts through the real CLI.
const LAB = 'codedeploy-blue-green';
const facts = (state: string) => join(ROOT, 'labs', LAB, 'facts', `${state}.json`);

describe('doplab check codedeploy-blue-green --facts', () => {
  it('exits 1 on the starting state, with the findings and their hints', () => {
    const run = doplab(['check', LAB, '--facts', facts('starting'), '--no-color']);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/✘ The deployment group shifts traffic in steps \(canary or linear\) +0\/20 +\[1\.4\]/);
    expect(run.stdout).toMatch(/observed: rolls back on DEPLOYMENT_FAILURE only/);
    expect(run.stdout).toMatch(/Score 0\/100/);
    expect(hasStackTrace(run.stdout + run.stderr)).toBe(false);
  });

  it('exits 0 on the solved state although the optional hook check did not pass', () => {
    const run = doplab(['check', LAB, '--facts', facts('solved'), '--no-color']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/✘ A validation hook tested the new version before production traffic moved +0\/10 +\[1\.4\] \(optional, extra points\)/);
    expect(run.stdout).toMatch(/Score 100\/100 — 5 passed, 0 failed, 1 optional open/);
  });

  it('lists the lab with its task statements and cost', () => {
    const run = doplab(['list', '--json']);
    expect(run.status).toBe(0);
    const labs = JSON.parse(run.stdout) as { id: string }[];
    expect(labs.find((l) => l.id === LAB)).toMatchObject({ taskStatements: ['1.4', '1.1', '3.3'], difficulty: 'advanced', costPerHour: 0.05092 });
  });
});
