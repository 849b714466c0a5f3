'use strict';
// Inlined after lib/cdk/cleanup-runtime.js (whose put it uses) into InlineResources' function: the handler of a custom
// resource that does work on every request.

/** onEvent(event) returns { id, data } (id: the physical resource id; default the request's or the logical id); a throw answers FAILED. */
exports.createResourceHandler = (onEvent) => async (event) => {
  let status = 'SUCCESS';
  let reason = 'done';
  let result = {};
  try {
    result = (await onEvent(event)) || {};
  } catch (e) {
    status = 'FAILED';
    reason = `${e?.name ?? 'Error'}: ${e?.message ?? e}`;
  }
  console.log(`${event.RequestType}: ${status}: ${reason}`);
  const { StackId, RequestId, LogicalResourceId } = event;
  const PhysicalResourceId = result.id || event.PhysicalResourceId || LogicalResourceId;
  const body = JSON.stringify({ Status: status, Reason: reason.slice(0, 500), PhysicalResourceId, StackId, RequestId, LogicalResourceId, ...(result.data ? { Data: result.data } : {}) });
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      return await exports.put(event.ResponseURL, body);
    } catch (e) {
      console.log(`response attempt ${attempt} failed: ${e.message}`);
    }
  }
};
