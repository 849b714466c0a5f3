import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { DoplabError } from '../errors';
import { nearest } from '../suggest';
import { partitionOf } from '../sdk-facts';

/** One learner of a class, as the roster gives it. */
export interface RosterEntry {
  readonly learner: string;
  /** 12 digits, leading zeros kept. */
  readonly accountId: string;
  /** The grader role to assume in the learner's account. */
  readonly roleArn: string;
  readonly externalId?: string;
  /** The region the learner's labs are deployed in. */
  readonly region: string;
  /** The roster line the entry starts on (the header is line 1). */
  readonly line: number;
}

/** What fills the gaps a roster row leaves. */
export interface RosterDefaults {
  /** Role name used to build `arn:aws:iam::<account>:role/<name>` for rows without role_arn. */
  readonly roleName?: string;
  /** Region for rows without one (--region, AWS_REGION). */
  readonly region?: string;
  /** External id for rows without one. */
  readonly externalId?: string;
}

const REQUIRED = ['learner', 'account_id'] as const;
const COLUMNS = ['learner', 'account_id', 'role_arn', 'external_id', 'region'] as const;
type Column = (typeof COLUMNS)[number];

const ACCOUNT_ID = /^\d{12}$/;
// IAM role ARNs: partition, the account, an optional path, a name of [\w+=,.@-]{1,64}.
const ROLE_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role\/(?:[\x21-\x7e]*\/)?([\w+=,.@-]{1,64})$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
// sts:AssumeRole ExternalId: 2 to 1224 characters of [\w+=,.@:/-].
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/** Reads and validates a roster file; every problem, with its line, in one usage error. */
export function loadRoster(path: string, defaults: RosterDefaults = {}): RosterEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new DoplabError('BAD_ROSTER', 'usage', `Cannot read roster ${path}: ${(error as Error).message}`, { cause: error });
  }
  return parseRoster(text, path, defaults);
}

/** Parses roster CSV text: `learner,account_id,role_arn[,external_id][,region]` with a header line. */
export function parseRoster(text: string, name: string, defaults: RosterDefaults = {}): RosterEntry[] {
  if (defaults.roleName !== undefined && !ROLE_NAME.test(defaults.roleName)) {
    throw new DoplabError('BAD_OPTION', 'usage', `--role-name "${defaults.roleName}" is not an IAM role name (1-64 characters of letters, digits and +=,.@_-).`);
  }
  let rows: { record: string[]; info: { lines: number } }[];
  try {
    rows = parse(text, { bom: true, info: true, skip_empty_lines: true, relax_column_count: true, trim: true }) as unknown as typeof rows;
  } catch (error) {
    const e = error as Error & { lines?: number };
    throw new DoplabError('BAD_ROSTER', 'usage', `Roster ${name} is not valid CSV${e.lines ? ` (line ${e.lines})` : ''}: ${e.message}`, {
      cause: error,
      hint: 'Quote a field that holds a comma or a quote ("Smith, Ann"); double a quote inside quotes ("").',
    });
  }
  if (rows.length === 0) throw rosterError(name, ['the file is empty; the first line must be the header learner,account_id,role_arn[,external_id][,region]']);

  const header = rows[0].record.map((h) => h.toLowerCase());
  const problems: string[] = [];
  for (const [i, column] of header.entries()) {
    if (!(COLUMNS as readonly string[]).includes(column)) {
      const guess = nearest(column, [...COLUMNS]);
      problems.push(`line 1: unknown column "${rows[0].record[i]}"${guess ? ` (did you mean ${guess}?)` : ''}`);
    } else if (header.indexOf(column) !== i) {
      problems.push(`line 1: column ${column} appears twice`);
    }
  }
  for (const column of REQUIRED) if (!header.includes(column)) problems.push(`line 1: missing column ${column}`);
  if (!header.includes('role_arn') && defaults.roleName === undefined) {
    problems.push('line 1: missing column role_arn (or pass --role-name to build the role ARN from each account id)');
  }
  if (problems.length > 0) throw rosterError(name, problems);
  if (rows.length === 1) throw rosterError(name, ['no learners: the file has only the header line']);

  const entries: RosterEntry[] = [];
  const firstLine = new Map<string, number>();
  for (const { record, info } of rows.slice(1)) {
    // info.lines is where the record ends; a quoted field may span lines.
    const line = info.lines - record.join('').split('\n').length + 1;
    const cell = (column: Column): string | undefined => {
      const i = header.indexOf(column);
      const value = i < 0 ? undefined : record[i];
      return value === undefined || value === '' ? undefined : value;
    };
    const before = problems.length;
    const at = (message: string) => problems.push(`line ${line}: ${message}`);
    if (record.length > header.length) at(`${record.length} fields, but the header has ${header.length} (quote a name that holds a comma)`);

    const learner = cell('learner');
    if (learner === undefined) at('learner is empty');
    else if (firstLine.has(learner.toLowerCase())) at(`learner "${learner}" is already on line ${firstLine.get(learner.toLowerCase())}`);
    else firstLine.set(learner.toLowerCase(), line);

    const accountId = cell('account_id');
    if (accountId === undefined) at('account_id is empty');
    else if (!ACCOUNT_ID.test(accountId)) at(`account_id "${accountId}" is not a 12-digit AWS account id (keep leading zeros: quote it if a spreadsheet drops them)`);

    let roleArn = cell('role_arn');
    // The role lives in the partition of the learner's region (aws-cn, aws-us-gov), not always `aws`.
    const partition = partitionOf(cell('region') ?? defaults.region ?? '');
    if (roleArn === undefined && defaults.roleName !== undefined && accountId !== undefined && ACCOUNT_ID.test(accountId)) roleArn = `arn:${partition}:iam::${accountId}:role/${defaults.roleName}`;
    if (roleArn === undefined) {
      if (defaults.roleName === undefined) at('role_arn is empty (or pass --role-name)');
    } else {
      const match = ROLE_ARN.exec(roleArn);
      if (!match) at(`role_arn "${roleArn}" is not an IAM role ARN such as arn:aws:iam::111122223333:role/DopLabGrader`);
      else if (accountId !== undefined && ACCOUNT_ID.test(accountId) && match[2] !== accountId) at(`role_arn "${roleArn}" is in account ${match[2]}, not in the learner's account ${accountId}`);
    }

    const externalId = cell('external_id') ?? defaults.externalId;
    if (externalId !== undefined && !EXTERNAL_ID.test(externalId)) at(`external_id must be 2 to 1224 characters of letters, digits and +=,.@:/-`);

    const region = cell('region') ?? defaults.region;
    if (region === undefined) at('no region: add a region column or pass --region');
    else if (!REGION.test(region)) at(`region "${region}" is not an AWS region name such as eu-west-1`);

    if (problems.length === before) {
      entries.push({ learner: learner!, accountId: accountId!, roleArn: roleArn!, region: region!, line, ...(externalId !== undefined ? { externalId } : {}) });
    }
  }
  if (problems.length > 0) throw rosterError(name, problems);
  return entries;
}

function rosterError(name: string, problems: readonly string[]): DoplabError {
  const shown = problems.slice(0, 20).map((p) => `  ${p}`);
  if (problems.length > 20) shown.push(`  … and ${problems.length - 20} more`);
  return new DoplabError('BAD_ROSTER', 'usage', `Roster ${name} has ${problems.length === 1 ? 'a problem' : `${problems.length} problems`}:\n${shown.join('\n')}`, {
    hint: 'Columns: learner,account_id,role_arn[,external_id][,region] (role_arn may be left out with --role-name). Nothing was sent to AWS.',
  });
}

/**
 * The RoleSessionName of a learner's grading session: `doplab-<learner>` in the allowed characters
 * ([\w+=,.@-], 2-64), so CloudTrail in the learner's account names who was graded. Accents are
 * dropped, other characters become `-`; a short hash keeps altered or shortened names distinct.
 */
export function roleSessionName(learner: string): string {
  const plain = learner.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
  const safe = plain.replace(/[^\w+=,.@-]+/g, '-').replace(/^-+|-+$/g, '');
  const name = `doplab-${safe}`;
  if (safe === learner && name.length <= 64) return name;
  const hash = createHash('sha256').update(learner).digest('hex').slice(0, 8);
  return `${name.slice(0, 64 - 9).replace(/-+$/, '')}-${hash}`;
}

/** A file-system-safe, unique folder name for a learner's cached results. */
export function learnerKey(learner: string): string {
  const safe = learner.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '').slice(0, 40);
  const hash = createHash('sha256').update(learner).digest('hex').slice(0, 10);
  return `${safe || 'learner'}-${hash}`;
}
