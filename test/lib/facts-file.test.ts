import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { DoplabError, exitCodeFor } from '../../lib/errors';
import { factSchema } from '../../lib/facts';
import { FACTS_FORMAT, loadFactsFile, saveFactsFile, type FactsFile } from '../../lib/facts-file';

const schema = z.object({
  logGroup: factSchema(z.object({ logGroupName: z.string(), retentionInDays: z.number().optional() }).nullable()),
  filters: z.array(z.object({ filterName: z.string(), filterPattern: z.string() })),
});
type Facts = z.infer<typeof schema>;

const facts: Facts = {
  logGroup: { ok: true, value: { logGroupName: '/doplab/demo', retentionInDays: 14 } },
  filters: [{ filterName: 'errors', filterPattern: '{ $.level = "ERROR" }' }],
};

const file: FactsFile<Facts> = {
  format: FACTS_FORMAT,
  lab: 'demo-lab',
  account: '123456789012',
  region: 'eu-west-1',
  gatheredAt: '2026-11-23T10:00:00.000Z',
  stack: { name: 'DopLab-demo-lab', status: 'CREATE_COMPLETE', outputs: { LogGroupName: '/doplab/demo' } },
  facts,
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'doplab-facts-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/** The DoplabError `load` throws; fails the test when it throws nothing or something else. */
function loadError(path: string, labId = 'demo-lab'): DoplabError {
  try {
    loadFactsFile(path, labId, schema);
  } catch (error) {
    expect(error).toBeInstanceOf(DoplabError);
    return error as DoplabError;
  }
  throw new Error(`loading ${path} did not fail`);
}

describe('saveFactsFile and loadFactsFile', () => {
  it('round-trips a facts file', () => {
    const path = join(dir, 'facts.json');
    saveFactsFile(path, file);
    expect(loadFactsFile(path, 'demo-lab', schema)).toEqual(file);
  });

  it('round-trips a fact that could not be read', () => {
    const path = join(dir, 'facts.json');
    const denied: FactsFile<Facts> = {
      ...file,
      facts: { ...facts, logGroup: { ok: false, error: { code: 'ACCESS_DENIED', message: 'Access denied', action: 'logs:DescribeLogGroups' } } },
    };
    saveFactsFile(path, denied);
    expect(loadFactsFile(path, 'demo-lab', schema)).toEqual(denied);
  });

  it('writes readable JSON that ends with a newline', () => {
    const path = join(dir, 'facts.json');
    saveFactsFile(path, file);
    const text = readFileSync(path, 'utf8');
    expect(text).toBe(`${JSON.stringify(file, null, 2)}\n`);
  });

  it('says where it could not write', () => {
    const path = join(dir, 'no-such-dir', 'facts.json');
    expect(() => saveFactsFile(path, file)).toThrow(expect.objectContaining({ code: 'BAD_OPTION', source: 'usage' }));
    expect(() => saveFactsFile(path, file)).toThrow(`Cannot write facts file ${path}: `);
  });
});

describe('loadFactsFile on a malformed file', () => {
  it('names a file that does not exist', () => {
    const path = join(dir, 'missing.json');
    const error = loadError(path);
    expect(error).toMatchObject({ code: 'BAD_FACTS_FILE', source: 'usage' });
    expect(error.message).toMatch(new RegExp(`^Cannot read facts file ${path}: ENOENT`));
    expect(exitCodeFor(error)).toBe(2);
  });

  it('names a file that is not JSON', () => {
    const path = write('broken.json', '{ "format": "doplab-facts/1",');
    const error = loadError(path);
    expect(error).toMatchObject({ code: 'BAD_FACTS_FILE', source: 'usage' });
    expect(error.message).toMatch(new RegExp(`^Facts file ${path} is not valid JSON: `));
  });

  it('names a file of another format, and the field', () => {
    const path = write('other.json', { ...file, format: 'doplab-facts/0' });
    const error = loadError(path);
    expect(error).toMatchObject({ code: 'BAD_FACTS_FILE', source: 'usage', hint: 'Create one with doplab check <lab> --save-facts FILE.' });
    expect(error.message).toBe(`Facts file ${path} is not a doplab facts file (doplab-facts/1):\n  at format: Invalid input: expected "doplab-facts/1"`);
  });

  it('names a JSON file that is not a facts file at all', () => {
    const path = write('array.json', [1, 2]);
    const error = loadError(path);
    expect(error.message).toBe(`Facts file ${path} is not a doplab facts file (doplab-facts/1):\n  at (top level): Invalid input: expected object, received array`);
  });

  it('names the lab a file of another lab belongs to, and how to check it', () => {
    const path = write('other-lab.json', { ...file, lab: 'other-lab' });
    const error = loadError(path);
    expect(error).toMatchObject({
      code: 'BAD_FACTS_FILE',
      source: 'usage',
      message: `Facts file ${path} holds facts of lab other-lab, not demo-lab.`,
      hint: `Run doplab check other-lab --facts ${path}.`,
    });
  });

  it("names the path of a field that fails the lab's schema", () => {
    const path = write('bad.json', { ...file, facts: { ...facts, logGroup: { ok: true, value: { logGroupName: '/doplab/demo', retentionInDays: '14' } } } });
    const error = loadError(path);
    expect(error).toMatchObject({ code: 'BAD_FACTS_FILE', source: 'usage' });
    expect(error.message).toBe(
      `Facts file ${path} has malformed facts for demo-lab:\n  at facts.logGroup.value.retentionInDays: Invalid input: expected number, received string`,
    );
  });

  it('names the index of a bad array element', () => {
    const path = write('bad-array.json', { ...file, facts: { ...facts, filters: [facts.filters[0], { filterName: 'x' }] } });
    expect(loadError(path).message).toBe(
      `Facts file ${path} has malformed facts for demo-lab:\n  at facts.filters.1.filterPattern: Invalid input: expected string, received undefined`,
    );
  });

  it('names the missing field of an envelope without facts', () => {
    const { facts: _omitted, ...envelope } = file;
    const path = write('no-facts.json', envelope);
    expect(loadError(path).message).toBe(
      `Facts file ${path} is not a doplab facts file (doplab-facts/1):\n  at facts: Invalid input: expected nonoptional, received undefined`,
    );
  });
});
