import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DoplabError } from '../../../lib/errors';
import { learnerKey, loadRoster, parseRoster, roleSessionName } from '../../../lib/grade/roster';

const HEADER = 'learner,account_id,role_arn,external_id,region';
const ROLE = (account: string) => `arn:aws:iam::${account}:role/DopLabGrader`;

/** The error parseRoster throws for `text`, as the user reads it. */
function problems(text: string, defaults = {}): string {
  try {
    parseRoster(text, 'class.csv', defaults);
  } catch (error) {
    expect(error).toBeInstanceOf(DoplabError);
    expect((error as DoplabError).code).toBe('BAD_ROSTER');
    expect((error as DoplabError).source).toBe('usage');
    return (error as DoplabError).message;
  }
  throw new Error('the roster was accepted');
}

describe('roster', () => {
  it('reads learners with every column, keeping leading zeros, quotes and commas', () => {
    const text = `${HEADER}\n"Smith, Ann",011122223333,${ROLE('011122223333')},ext-123,eu-west-1\n"Bob ""B"" Jones",444455556666,${ROLE('444455556666')},,\n`;
    expect(parseRoster(text, 'class.csv', { region: 'us-east-1' })).toEqual([
      { learner: 'Smith, Ann', accountId: '011122223333', roleArn: ROLE('011122223333'), externalId: 'ext-123', region: 'eu-west-1', line: 2 },
      { learner: 'Bob "B" Jones', accountId: '444455556666', roleArn: ROLE('444455556666'), region: 'us-east-1', line: 3 },
    ]);
  });

  it('builds the role ARN from --role-name when the roster has no role_arn column', () => {
    const [entry] = parseRoster('learner,account_id\nalice,111122223333\n', 'class.csv', { roleName: 'Grader', region: 'eu-west-1' });
    expect(entry.roleArn).toBe('arn:aws:iam::111122223333:role/Grader');
  });

  it('builds the role ARN in the partition of the learner’s region (aws-cn, aws-us-gov)', () => {
    const entries = parseRoster('learner,account_id,region\nalice,111122223333,cn-north-1\nbob,222233334444,us-gov-west-1\n', 'class.csv', { roleName: 'Grader' });
    expect(entries.map((e) => e.roleArn)).toEqual(['arn:aws-cn:iam::111122223333:role/Grader', 'arn:aws-us-gov:iam::222233334444:role/Grader']);
  });

  it('takes the external id for rows without one from --external-id, a row’s own first', () => {
    const entries = parseRoster('learner,account_id,external_id\nalice,111122223333,\nbob,222233334444,own-id\n', 'x', { roleName: 'R', region: 'eu-west-1', externalId: 'class-id' });
    expect(entries.map((e) => e.externalId)).toEqual(['class-id', 'own-id']);
  });

  it('accepts a byte-order mark, blank lines, upper-case headers and role paths', () => {
    const text = `\ufeffLEARNER,Account_Id,ROLE_ARN,region\n\nalice,111122223333,arn:aws:iam::111122223333:role/doplab/DopLabGrader,eu-west-1\n`;
    expect(parseRoster(text, 'x')).toHaveLength(1);
  });

  it('names the line of every bad field, and every problem at once', () => {
    const text = [
      HEADER,
      `alice,1234,${ROLE('111122223333')},,eu-west-1`,
      `bob,111122223333,arn:aws:iam::111122223333:user/bob,,eu-west-1`,
      `carol,111122223333,${ROLE('222233334444')},,eu-west-1`,
      `Alice,555566667777,${ROLE('555566667777')},x,eu-west-1`,
      `dave,555566667777,${ROLE('555566667777')},bad id with spaces,europe`,
      `,666677778888,${ROLE('666677778888')},,eu-west-1`,
    ].join('\n');
    const message = problems(text);
    expect(message).toContain('has 8 problems');
    expect(message).toContain('line 2: account_id "1234" is not a 12-digit AWS account id');
    expect(message).toContain('line 3: role_arn "arn:aws:iam::111122223333:user/bob" is not an IAM role ARN');
    expect(message).toContain(`line 4: role_arn "${ROLE('222233334444')}" is in account 222233334444, not in the learner's account 111122223333`);
    expect(message).toContain('line 5: learner "Alice" is already on line 2');
    expect(message).toContain('line 5: external_id must be 2 to 1224 characters');
    expect(message).toContain('line 6: external_id must be 2 to 1224 characters');
    expect(message).toContain('line 6: region "europe" is not an AWS region name');
    expect(message).toContain('line 7: learner is empty');
  });

  it('reports the line a multi-line quoted record starts on', () => {
    expect(problems(`${HEADER}\n"two\nlines",12,${ROLE('111122223333')},,eu-west-1\n`)).toContain('line 2: account_id "12"');
  });

  it('needs a region from the row or --region', () => {
    expect(problems(`learner,account_id,role_arn\nalice,111122223333,${ROLE('111122223333')}\n`)).toContain('line 2: no region: add a region column or pass --region');
  });

  it('names missing and unknown columns in the header, suggesting the intended name', () => {
    const message = problems('learner,acount_id\nalice,111122223333\n');
    expect(message).toContain('line 1: unknown column "acount_id" (did you mean account_id?)');
    expect(message).toContain('line 1: missing column account_id');
    expect(message).toContain('line 1: missing column role_arn (or pass --role-name');
    expect(problems('learner,learner,account_id,role_arn\n')).toContain('line 1: column learner appears twice');
  });

  it('rejects an empty roster, a header alone, extra fields and malformed CSV', () => {
    expect(problems('')).toContain('the file is empty');
    expect(problems(`${HEADER}\n`)).toContain('no learners');
    expect(problems(`learner,account_id,region\nSmith, Ann,111122223333,eu-west-1\n`, { roleName: 'R' })).toContain('line 2: 4 fields, but the header has 3');
    expect(problems(`${HEADER}\n"unclosed,111122223333\n`)).toMatch(/not valid CSV \(line \d\): Quote Not Closed/);
  });

  it('rejects a bad --role-name as a usage error', () => {
    expect(() => parseRoster('learner,account_id\nalice,111122223333\n', 'x', { roleName: 'no spaces allowed', region: 'eu-west-1' })).toThrow('--role-name "no spaces allowed" is not an IAM role name');
  });

  it('says when the file cannot be read', () => {
    expect(() => loadRoster('/nonexistent/class.csv')).toThrow('Cannot read roster /nonexistent/class.csv');
    const dir = mkdtempSync(join(tmpdir(), 'doplab-roster-'));
    writeFileSync(join(dir, 'class.csv'), `learner,account_id\nalice,111122223333\n`);
    expect(loadRoster(join(dir, 'class.csv'), { roleName: 'DopLabGrader', region: 'eu-west-1' })[0].learner).toBe('alice');
  });
});

describe('roleSessionName', () => {
  const ALLOWED = /^[\w+=,.@-]{2,64}$/;

  it('names the learner as they are when the name is allowed', () => {
    expect(roleSessionName('alice.smith@example.com')).toBe('doplab-alice.smith@example.com');
  });

  it('keeps names allowed, at most 64 characters, and distinct when characters had to change', () => {
    const names = ['José Núñez', 'Smith, Ann', 'Ann Smith', '李小龍', 'x'.repeat(100), 'x'.repeat(101), "O'Brien (group 2)"];
    const sessions = names.map(roleSessionName);
    for (const s of sessions) expect(s).toMatch(ALLOWED);
    expect(new Set(sessions).size).toBe(names.length);
    expect(sessions[0]).toMatch(/^doplab-Jose-Nunez-[0-9a-f]{8}$/);
    expect(sessions[1]).toMatch(/^doplab-Smith,-Ann-[0-9a-f]{8}$/);
  });
});

describe('learnerKey', () => {
  it('gives distinct, file-system-safe folder names', () => {
    const keys = ['Smith, Ann', 'Smith Ann', '../../etc', '李小龍', 'a/b'].map(learnerKey);
    for (const k of keys) expect(k).toMatch(/^[A-Za-z0-9._-]+$/);
    expect(keys[2].startsWith('.')).toBe(false);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
