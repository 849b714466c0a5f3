'use strict';
// The traffic of lab lambda-canary: run every minute, it invokes the pricing function's alias REQUESTS times in a row,
// so that a canary of a bad release meets real requests (and their errors reach the alias's metrics) within a minute.
// A failed invocation is the pricing function's error, not the generator's: it is counted, never thrown.
const { LambdaClient, InvokeCommand } = require('@aws-sdk/client-lambda');

const lambda = new LambdaClient({});
const SKUS = ['sku-basic', 'sku-plus', 'sku-pro'];

/** Invokes `send` `count` times, one after the other, and counts the answers. */
exports.run = async (send, count) => {
  const tally = { ok: 0, failed: 0 };
  for (let i = 0; i < count; i++) {
    const out = await send({ sku: SKUS[i % SKUS.length], request: i });
    if (out.FunctionError) tally.failed += 1;
    else tally.ok += 1;
  }
  return tally;
};

exports.handler = async () => {
  const FunctionName = process.env.FUNCTION_NAME;
  const Qualifier = process.env.ALIAS_NAME;
  const send = (payload) => lambda.send(new InvokeCommand({ FunctionName, Qualifier, Payload: Buffer.from(JSON.stringify(payload)) }));
  const tally = await exports.run(send, Number(process.env.REQUESTS));
  console.log(`invoked ${FunctionName}:${Qualifier}: ${tally.ok} ok, ${tally.failed} failed`);
  return tally;
};
