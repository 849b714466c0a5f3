import { formatDuration, parseDuration } from '../../lib/duration';
import { DoplabError, exitCodeFor } from '../../lib/errors';
import { allLabs, findLab } from '../../lib/registry';
import { nearest } from '../../lib/suggest';

const CATALOGUE = [
  'cloudwatch-metric-filters',
  'codedeploy-blue-green',
  'stacksets-multi-region',
  'config-remediation',
  'pipeline-test-stage',
  'lambda-canary',
  'backup-dr',
];

describe('nearest', () => {
  it('suggests the id one typo away', () => {
    expect(nearest('cloudwatch-metric-filter', CATALOGUE)).toBe('cloudwatch-metric-filters');
    expect(nearest('codedeploy-blue-gren', CATALOGUE)).toBe('codedeploy-blue-green');
    expect(nearest('lamda-canary', CATALOGUE)).toBe('lambda-canary');
  });

  it('suggests the only id that starts with or contains the input', () => {
    expect(nearest('stacksets', CATALOGUE)).toBe('stacksets-multi-region');
    expect(nearest('remediation', CATALOGUE)).toBe('config-remediation');
  });

  it('suggests nothing for gibberish', () => {
    expect(nearest('xyzzy-plugh', CATALOGUE)).toBeUndefined();
  });

  it('suggests nothing for an empty or one-letter input', () => {
    expect(nearest('', CATALOGUE)).toBeUndefined();
    expect(nearest('c', CATALOGUE)).toBeUndefined();
    expect(nearest('', ['backup-dr'])).toBeUndefined();
  });

  it('suggests nothing from an empty catalogue', () => {
    expect(nearest('backup-dr', [])).toBeUndefined();
  });
});

describe('findLab', () => {
  it('finds a lab by id', () => {
    expect(findLab('cloudwatch-metric-filters').id).toBe('cloudwatch-metric-filters');
  });

  it('suggests the nearest id for a typo, as a usage error', () => {
    let error: unknown;
    try {
      findLab('cloudwatch-metric-filter');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DoplabError);
    expect(error).toMatchObject({
      code: 'UNKNOWN_LAB',
      source: 'usage',
      message: 'Unknown lab "cloudwatch-metric-filter". Did you mean cloudwatch-metric-filters?',
    });
    expect(exitCodeFor(error)).toBe(2);
  });

  it('suggests nothing for gibberish but lists the labs', () => {
    const ids = allLabs().map((lab) => lab.id);
    expect(() => findLab('zzqxv')).toThrow(
      expect.objectContaining({
        code: 'UNKNOWN_LAB',
        message: 'Unknown lab "zzqxv".',
        hint: `Labs: ${ids.join(', ')} (doplab list shows them all).`,
      }),
    );
  });

  it('looks in the catalogue it is given', () => {
    const labs = allLabs();
    expect(() => findLab('cloudwatch-metric-filters', [])).toThrow(expect.objectContaining({ message: 'Unknown lab "cloudwatch-metric-filters".' }));
    expect(findLab(labs[0].id, labs)).toBe(labs[0]);
  });
});

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['10m', 600_000],
    ['1h', 3_600_000],
    ['1.5h', 5_400_000],
    ['2 min', 120_000],
    ['45', 45_000],
  ])('reads %j as %d ms', (text, expected) => {
    expect(parseDuration(text, '--wait')).toBe(expected);
  });

  it.each(['', 'soon', '-5m', '0', '0s', '10 parsecs', '1e3'])('rejects %j as a usage error naming the option', (text) => {
    expect(() => parseDuration(text, '--wait')).toThrow(
      new DoplabError('BAD_OPTION', 'usage', `--wait takes a duration like 90s, 10m or 1h; got "${text}".`),
    );
    expect(() => parseDuration(text, '--wait')).toThrow(expect.objectContaining({ code: 'BAD_OPTION', source: 'usage' }));
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [9_400, '9s'],
    [59_600, '1m 00s'],
    [65_000, '1m 05s'],
    [600_000, '10m 00s'],
    [3_725_000, '62m 05s'],
  ])('writes %d ms as %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
