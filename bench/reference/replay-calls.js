#!/usr/bin/env node
// The bench's reference for the labs the replay endpoint serves (test/support/replay-aws.ts): a minimal
// AWS SDK v3 script making the same calls as `doplab check <lab>`, round by round (each round's calls in
// parallel, the rounds one after another: the check's dependency depth), one client per service and region, no
// framework, no validation, no report. The plan (bench/run.ts writes it from the lab's recorded gather and
// doplab's observed rounds) gives each call's SDK package, client, region, command and input; its inputs are
// known up front, so this script does less than a hand-written one would (it reads nothing out of the
// answers): a lower bound on a hand-written script's time.
// Usage: node bench/reference/replay-calls.js <endpoint-url> <plan.json> (credentials from the environment, each call's region from the plan).
'use strict';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { readFileSync } = require('node:fs');

/** Dates travel in the plan as { "$date": ISO 8601 }. */
const revive = (_key, value) => (value && typeof value === 'object' && typeof value.$date === 'string' ? new Date(value.$date) : value);

async function main() {
  const [endpoint, planFile] = process.argv.slice(2);
  const plan = JSON.parse(readFileSync(planFile, 'utf8'), revive);
  const clients = new Map();
  // One client per (client, region): a lab may read in a second region.
  const clientOf = (sdk, name, region) => {
    const key = `${name} ${region}`;
    if (!clients.has(key)) clients.set(key, new (require(sdk)[name])({ endpoint, region }));
    return clients.get(key);
  };
  let answers = 0;
  for (const round of plan.rounds) {
    const outputs = await Promise.all(
      round.map((call) =>
        clientOf(call.sdk, call.client, call.region)
          .send(new (require(call.sdk)[call.command])(call.input))
          // A streamed payload (S3 GetObject's Body) is read to its end, as the check reads it.
          .then(async (output) => (typeof output.Body?.transformToByteArray === 'function' ? { ...output, Body: await output.Body.transformToByteArray() } : output))
          .catch((error) => error),
      ),
    );
    answers += outputs.length;
  }
  console.log(`${answers} answers in ${plan.rounds.length} rounds`);
  for (const client of clients.values()) client.destroy();
}

main().catch((error) => {
  console.error(`reference-check: ${error.message}`);
  process.exitCode = 2;
});
