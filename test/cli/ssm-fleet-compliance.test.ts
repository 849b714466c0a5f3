import { join } from 'node:path';
import { doplab, hasStackTrace, ROOT } from './helpers';

// The ssm-fleet-compliance lab as a user runs it offline: its shipped facts through the real CLI.
const LAB = 'ssm-fleet-compliance';
const facts = (state: string) => join(ROOT, 'labs', LAB, 'facts', `${state}.json`);

describe('doplab check ssm-fleet-compliance --facts', () => {
  it('exits 1 on the starting state, with the findings and their hints', () => {
    const run = doplab(['check', LAB, '--facts', facts('starting'), '--no-color']);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/observed: no association targets the fleet/);
    expect(run.stdout).toMatch(/Score 0\/100/);
    expect(hasStackTrace(run.stdout + run.stderr)).toBe(false);
  });

  it('exits 0 on the solved state', () => {
    const run = doplab(['check', LAB, '--facts', facts('solved'), '--no-color']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/Score 100\/100 — 5 passed, 0 failed/);
  });

  it('lists the lab with its task statements and cost', () => {
    const run = doplab(['list', '--json']);
    expect(run.status).toBe(0);
    const labs = JSON.parse(run.stdout) as { id: string }[];
    expect(labs.find((l) => l.id === LAB)).toMatchObject({ taskStatements: ['2.3', '5.2'], costPerHour: 0.02855 });
  });
});
