'use strict';
// The shared runtime of doplab's in-stack cleanup functions (DESIGN §7). InlineCleanup inlines it, then the lab's
// handler file, which exports onDelete(props, log). Full-line comments and indentation are stripped at synth, so
// use no multi-line strings. Every byte here counts against each lab's inline budget (INLINE_CODE_LIMIT).
const http = require('node:http');
const https = require('node:https');

// Builds the Lambda handler: Update answers SUCCESS at once; Delete runs onDelete within the time left; Create answers
// SUCCESS at once, or runs the optional onCreate of a lab that records state at deploy to restore it at delete.
exports.createHandler = (onDelete, marginMs = 15000, onCreate = undefined) => async (event, context) => {
  const type = event.RequestType;
  let status = 'SUCCESS';
  let reason = 'nothing to do';
  if (type === 'Delete') {
    const { ServiceToken, ServiceTimeout, ...props } = event.ResourceProperties;
    const ms = Math.max(context.getRemainingTimeInMillis() - marginMs, 1000);
    const work = (async () => onDelete(props, console.log))().then(() => 'cleanup done', (e) => `cleanup failed: ${e?.message ?? e}`);
    let timer;
    reason = await Promise.race([work, new Promise((resolve) => (timer = setTimeout(resolve, ms, `cleanup stopped after ${ms} ms`)))]);
    clearTimeout(timer);
  } else if (type === 'Create' && onCreate) {
    // A failed recording fails the deploy, before the learner has changed anything.
    const { ServiceToken, ServiceTimeout, ...props } = event.ResourceProperties;
    [status, reason] = await (async () => onCreate(props, console.log))().then(() => ['SUCCESS', 'recorded'], (e) => ['FAILED', `recording failed: ${e?.message ?? e}`]);
  } else if (type !== 'Create' && type !== 'Update') {
    status = 'FAILED';
    reason = `unknown RequestType ${type}`;
  }
  // Delete reports SUCCESS even when cleanup failed: FAILED would wedge the stack in DELETE_FAILED, and doplab's
  // leftover audit reports what is left.
  console.log(`${type}: ${status}: ${reason}`);
  const { StackId, RequestId, LogicalResourceId } = event;
  const PhysicalResourceId = event.PhysicalResourceId || LogicalResourceId;
  const body = JSON.stringify({ Status: status, Reason: `${reason}`.slice(0, 500), PhysicalResourceId, StackId, RequestId, LogicalResourceId });
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      return await put(event.ResponseURL, body);
    } catch (e) {
      console.log(`response attempt ${attempt} failed: ${e.message}`);
    }
  }
};

// InlineResources' runtime (resource-runtime.js, inlined after this file) answers with it too.
exports.put = put;

// http: is for tests against a local server; CloudFormation's ResponseURL is a pre-signed https: S3 URL, signed
// without a content type, so the header must be empty.
function put(url, body) {
  const u = new URL(url);
  const headers = { 'content-type': '', 'content-length': Buffer.byteLength(body) };
  return new Promise((resolve, reject) => {
    const req = (u.protocol === 'http:' ? http : https).request(u, { method: 'PUT', headers, timeout: 10000 }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode < 300 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(body);
  });
}
