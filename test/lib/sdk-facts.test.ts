import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { allPages, byName, isoDates, jsonified, partitionOf, type Page } from '../../lib/sdk-facts';

/** A paginated read over fixed pages, recording the tokens it was asked for. */
function pagesOf<T>(pages: Record<string, Page<T>>): { read: (token: string | undefined) => Promise<Page<T>>; asked: (string | undefined)[] } {
  const asked: (string | undefined)[] = [];
  return {
    asked,
    read: async (token) => {
      asked.push(token);
      return pages[token ?? 'first'];
    },
  };
}

describe('allPages', () => {
  it('follows the tokens to the last page and keeps the items in page order', async () => {
    const { read, asked } = pagesOf({ first: { items: [1, 2], next: 't1' }, t1: { items: undefined, next: 't2' }, t2: { items: [3], next: undefined } });
    await expect(allPages(read)).resolves.toEqual([1, 2, 3]);
    expect(asked).toEqual([undefined, 't1', 't2']);
  });

  it('ends on an empty-string token like on none', async () => {
    const { read, asked } = pagesOf({ first: { items: ['a'], next: '' } });
    await expect(allPages(read)).resolves.toEqual(['a']);
    expect(asked).toEqual([undefined]);
  });

  it('ends when a token comes back that it already followed', async () => {
    const { read, asked } = pagesOf({ first: { items: [1], next: 't1' }, t1: { items: [2], next: 't2' }, t2: { items: [3], next: 't1' } });
    await expect(allPages(read)).resolves.toEqual([1, 2, 3]);
    expect(asked).toEqual([undefined, 't1', 't2']);
  });

  it('ends when a page names itself as the next page', async () => {
    const { read, asked } = pagesOf({ first: { items: [1], next: 'same' }, same: { items: [2], next: 'same' } });
    await expect(allPages(read)).resolves.toEqual([1, 2]);
    expect(asked).toEqual([undefined, 'same']);
  });

  it('stops early once `stop` holds for the items read so far', async () => {
    const { read, asked } = pagesOf({ first: { items: ['x'], next: 't1' }, t1: { items: ['wanted', 'y'], next: 't2' }, t2: { items: ['z'], next: undefined } });
    await expect(allPages(read, { stop: (items) => items.includes('wanted') })).resolves.toEqual(['x', 'wanted', 'y']);
    expect(asked).toEqual([undefined, 't1']);
  });

  it('reads every page when `stop` never holds', async () => {
    const { read, asked } = pagesOf({ first: { items: [1], next: 't1' }, t1: { items: [2], next: undefined } });
    await expect(allPages(read, { stop: (items) => items.length > 5 })).resolves.toEqual([1, 2]);
    expect(asked).toEqual([undefined, 't1']);
  });

  it('passes a failed read on', async () => {
    await expect(allPages(async () => Promise.reject(new Error('throttled')))).rejects.toThrow('throttled');
  });
});

describe('isoDates', () => {
  it('turns top-level Dates into ISO strings and keeps the other fields', () => {
    const item = { Name: 'a', When: new Date('2026-01-02T03:04:05.678Z'), Nested: { At: new Date(0) }, Missing: undefined };
    const out = isoDates(item);
    expect(out).toStrictEqual({ Name: 'a', When: '2026-01-02T03:04:05.678Z', Nested: { At: new Date(0) }, Missing: undefined });
    expect(JSON.parse(JSON.stringify(out))).toEqual({ Name: 'a', When: '2026-01-02T03:04:05.678Z', Nested: { At: '1970-01-01T00:00:00.000Z' } });
  });

  it('leaves the SDK object untouched', () => {
    const item = { When: new Date(0) };
    isoDates(item);
    expect(item.When).toBeInstanceOf(Date);
  });
});

describe('jsonified', () => {
  it('turns Dates at any depth into ISO strings and drops undefined fields', () => {
    const value = { a: new Date(0), list: [{ at: new Date(1000), gone: undefined }], n: 1 };
    expect(jsonified(value)).toStrictEqual({ a: '1970-01-01T00:00:00.000Z', list: [{ at: '1970-01-01T00:00:01.000Z' }], n: 1 });
  });
});

describe('byName', () => {
  it('orders by code point, not by locale', () => {
    expect(['b', 'a', 'B', 'é', 'e', 'Z'].sort(byName)).toEqual(['B', 'Z', 'a', 'b', 'e', 'é']);
  });

  it('sorts undefined as the empty string and says 0 for equal names', () => {
    // Array.sort puts undefined entries last without asking, so the names sit in objects here.
    const named = [{ name: 'a' }, { name: undefined }, { name: '' }];
    expect(named.sort((x, y) => byName(x.name, y.name)).map((n) => n.name)).toEqual([undefined, '', 'a']);
    expect(byName('x', 'x')).toBe(0);
    expect(byName(undefined, '')).toBe(0);
    expect(byName('a', 'b')).toBeLessThan(0);
    expect(byName('b', 'a')).toBeGreaterThan(0);
  });
});

describe('partitionOf', () => {
  it('names the partition of a region', () => {
    expect(partitionOf('eu-west-1')).toBe('aws');
    expect(partitionOf('cn-north-1')).toBe('aws-cn');
    expect(partitionOf('us-gov-west-1')).toBe('aws-us-gov');
  });
});

describe('lib/sdk-facts', () => {
  it('imports neither aws-cdk-lib nor constructs, so checkers may use it', () => {
    const source = readFileSync(join(__dirname, '../../lib/sdk-facts.ts'), 'utf8');
    const imported = [...source.matchAll(/from '([^']+)'|require\('([^']+)'\)/g)].map((m) => m[1] ?? m[2]);
    expect(imported.filter((name) => /^(aws-cdk-lib|constructs)(\/|$)/.test(name))).toEqual([]);
  });
});
