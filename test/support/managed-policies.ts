import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PolicyDocument } from '../../lib/policy/template-policies';

const MANAGED_DIR = join(__dirname, '..', 'policy', 'managed');
/** AWS managed policies declared but not vendored (test/policy/managed/README.md): modelled as granting nothing. */
export const DECLARED_NOT_VENDORED = ['service-role/AWS_ConfigRole'];

/** The document of an AWS managed policy by ARN: vendored under test/policy/managed/, or none. */
export function managedPolicy(arn: string): PolicyDocument | undefined {
  const match = /^arn:[\w-]+:iam::aws:policy\/(.+)$/.exec(arn);
  if (!match) return undefined;
  if (DECLARED_NOT_VENDORED.includes(match[1])) return { Version: '2012-10-17', Statement: [] };
  const file = join(MANAGED_DIR, `${match[1].split('/').pop()}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as PolicyDocument) : undefined;
}

