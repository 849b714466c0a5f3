'use strict';
// Helpers that lab cleanup handlers share (DESIGN §7). A handler takes them with
// `const { attempts, emptyBucket } = require('../../lib/cdk/cleanup-helpers.js');`, so it runs as is in tests; at synth,
// cleanupSource() inlines only the functions it names (top-level `function <name>`, up to the next line `}`) before
// the handler, and drops that require line. Full-line comments and indentation are stripped; every byte counts against
// the inline budget of the labs that use a helper.
const { ListObjectVersionsCommand, DeleteObjectsCommand } = require('@aws-sdk/client-s3');

// Cleanup steps that carry on past a failure: `await attempt(what, work)` runs work() and notes a failure with its
// reason; `attempt.done()` then throws one error naming them all after `heading` (the leftover audit reports what is left).
function attempts(heading = 'could not clean up ') {
  const failed = [];
  const attempt = async (what, work) => {
    try {
      await work();
    } catch (e) {
      failed.push(`${what}: ${e.name}: ${e.message}`);
    }
  };
  attempt.done = () => {
    if (failed.length > 0) throw new Error(heading + failed.join('; '));
  };
  return attempt;
}

// Deletes every object version and delete marker of a versioned bucket, so the stack can delete it.
async function emptyBucket(s3, bucket, log) {
  let KeyMarker;
  let VersionIdMarker;
  let count = 0;
  do {
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, KeyMarker, VersionIdMarker, MaxKeys: 1000 }));
    const objects = [...(page.Versions || []), ...(page.DeleteMarkers || [])].map((v) => ({ Key: v.Key, VersionId: v.VersionId }));
    if (objects.length > 0) {
      const out = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }));
      if ((out.Errors || []).length > 0) throw new Error(out.Errors.map((e) => `${e.Key}: ${e.Code}`).join(', '));
      count += objects.length;
    }
    KeyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    VersionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
  } while (KeyMarker);
  log(`emptied ${bucket}: ${count} object versions`);
}

// Every item of a paged list call whose pages carry `NextToken`: `pages((NextToken) => client.send(new ListXCommand({ NextToken })), 'Xs')`.
async function pages(read, key) {
  const items = [];
  let token;
  do {
    const page = await read(token);
    items.push(...(page[key] || []));
    token = page.NextToken;
  } while (token);
  return items;
}

module.exports = { attempts, emptyBucket, pages };
