import { DOP_C02_DOMAINS, DOP_C02_TASK_STATEMENTS, isExamTaskStatement } from '../../lib/exam';

describe('the DOP-C02 exam guide', () => {
  it('has six domains whose weights add up to 100%', () => {
    expect(DOP_C02_DOMAINS.map((d) => d.number)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(DOP_C02_DOMAINS.reduce((sum, d) => sum + d.weight, 0)).toBe(100);
  });

  it('numbers each task statement after its domain', () => {
    for (const domain of DOP_C02_DOMAINS) {
      expect(domain.taskStatements.map((t) => t.id)).toEqual(domain.taskStatements.map((_t, i) => `${domain.number}.${i + 1}`));
    }
  });

  it('lists 19 task statements, 1.1 to 6.3', () => {
    expect(DOP_C02_TASK_STATEMENTS).toHaveLength(19);
    expect(DOP_C02_TASK_STATEMENTS[0]).toBe('1.1');
    expect(DOP_C02_TASK_STATEMENTS.at(-1)).toBe('6.3');
  });

  it('recognises a task statement of the guide and nothing else', () => {
    expect(isExamTaskStatement('2.3')).toBe(true);
    expect(isExamTaskStatement('2.4')).toBe(false);
    expect(isExamTaskStatement('4.1 ')).toBe(false);
  });
});
