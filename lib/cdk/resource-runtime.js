'use strict';
// Inlined after lib/cdk/cleanup-runtime.js (whose respond it uses) into InlineResources' function: the handler of a
// custom resource that does work on every request.

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
  return exports.respond(event, status, reason, result.id, result.data);
};
