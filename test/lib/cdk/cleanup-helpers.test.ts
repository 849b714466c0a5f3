import { DeleteObjectsCommand, ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { awsError } from '../../support/mocked-session';

const { attempts, emptyBucket, pages } = require('../../../lib/cdk/cleanup-helpers.js') as {
  pages: (read: (token: string | undefined) => Promise<Record<string, unknown>>, key: string) => Promise<unknown[]>;
  attempts: (heading?: string) => ((what: string, work: () => Promise<unknown>) => Promise<void>) & { done: () => void };
  emptyBucket: (s3: S3Client, bucket: string, log: (line: string) => void) => Promise<void>;
};

describe('pages', () => {
  it('reads page after page while NextToken is given, passing each token on, and joins the items', async () => {
    const tokens: (string | undefined)[] = [];
    const answers: Record<string, Record<string, unknown>> = {
      first: { Rules: [{ Name: 'a' }, { Name: 'b' }], NextToken: 't1' },
      t1: { NextToken: 't2' },
      t2: { Rules: [{ Name: 'c' }] },
    };
    const items = await pages(async (token) => {
      tokens.push(token);
      return answers[token ?? 'first'];
    }, 'Rules');
    expect(items).toEqual([{ Name: 'a' }, { Name: 'b' }, { Name: 'c' }]);
    expect(tokens).toEqual([undefined, 't1', 't2']);
  });

  it('passes a failed read on', async () => {
    await expect(pages(() => Promise.reject(awsError('AccessDeniedException', 'no')), 'Rules')).rejects.toThrow('no');
  });
});

describe('attempts', () => {
  it('runs every step past a failure, then throws one error naming each failure with its reason', async () => {
    const attempt = attempts();
    const ran: string[] = [];
    await attempt('role a', async () => {
      ran.push('a');
      throw awsError('AccessDenied', 'not authorized to perform: iam:DeleteRole', 403);
    });
    await attempt('bucket b', async () => void ran.push('b'));
    await attempt('project c', () => Promise.reject(awsError('ResourceNotFoundException', 'gone')));
    expect(ran).toEqual(['a', 'b']);
    expect(() => attempt.done()).toThrow('could not clean up role a: AccessDenied: not authorized to perform: iam:DeleteRole; project c: ResourceNotFoundException: gone');
  });

  it('heads the error with the heading a handler gives, none included', async () => {
    for (const [heading, message] of [
      ['', 'alarms: Throttling: Rate exceeded'],
      ['cleanup incomplete: ', 'cleanup incomplete: alarms: Throttling: Rate exceeded'],
    ]) {
      const attempt = attempts(heading);
      await attempt('alarms', () => Promise.reject(awsError('Throttling', 'Rate exceeded')));
      expect(() => attempt.done()).toThrow(new RegExp(`^${message}$`));
    }
  });

  it('does not throw when every step succeeded', async () => {
    const attempt = attempts();
    await attempt('bucket b', async () => undefined);
    expect(() => attempt.done()).not.toThrow();
  });
});

describe('emptyBucket', () => {
  const s3 = mockClient(S3Client);
  afterEach(() => s3.reset());
  afterAll(() => s3.restore());

  it('deletes every version and delete marker, page by page, and says how many', async () => {
    s3.on(ListObjectVersionsCommand, { Bucket: 'b', KeyMarker: undefined })
      .resolves({ Versions: [{ Key: 'a', VersionId: '1' }], DeleteMarkers: [{ Key: 'a', VersionId: '2' }], IsTruncated: true, NextKeyMarker: 'a', NextVersionIdMarker: '2' })
      .on(ListObjectVersionsCommand, { Bucket: 'b', KeyMarker: 'a', VersionIdMarker: '2' })
      .resolves({ Versions: [{ Key: 'z', VersionId: '3' }], IsTruncated: false });
    s3.on(DeleteObjectsCommand).resolves({ Deleted: [] });
    const log = jest.fn();
    await emptyBucket(new S3Client({ region: 'eu-west-1' }), 'b', log);
    expect(s3.commandCalls(DeleteObjectsCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: 'b', Delete: { Objects: [{ Key: 'a', VersionId: '1' }, { Key: 'a', VersionId: '2' }], Quiet: true } },
      { Bucket: 'b', Delete: { Objects: [{ Key: 'z', VersionId: '3' }], Quiet: true } },
    ]);
    expect(log).toHaveBeenCalledWith('emptied b: 3 object versions');
  });

  it('sends no delete for an empty bucket, and fails naming the objects S3 would not delete', async () => {
    s3.on(ListObjectVersionsCommand).resolves({ IsTruncated: false });
    await emptyBucket(new S3Client({ region: 'eu-west-1' }), 'b', () => undefined);
    expect(s3.commandCalls(DeleteObjectsCommand)).toHaveLength(0);
    s3.on(ListObjectVersionsCommand).resolves({ Versions: [{ Key: 'a', VersionId: '1' }], IsTruncated: false });
    s3.on(DeleteObjectsCommand).resolves({ Errors: [{ Key: 'a', Code: 'AccessDenied' }] });
    await expect(emptyBucket(new S3Client({ region: 'eu-west-1' }), 'b', () => undefined)).rejects.toThrow('a: AccessDenied');
  });
});
