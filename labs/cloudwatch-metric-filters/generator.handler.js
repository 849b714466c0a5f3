'use strict';
// The orders-api stand-in of lab cloudwatch-metric-filters: run every minute, it writes 6-10 JSON log lines, 1-2 of
// them ERROR, built from the contract's SAMPLE_EVENTS (env SAMPLE_EVENTS) with fresh timestamps, ids and latencies.
const { randomUUID } = require('node:crypto');
const { CloudWatchLogsClient, PutLogEventsCommand } = require('@aws-sdk/client-cloudwatch-logs');

const logs = new CloudWatchLogsClient({});

/** This minute's log events, oldest first, as PutLogEvents wants them. */
exports.buildLogEvents = (samples, now = Date.now(), random = Math.random) => {
  const pick = (list) => list[Math.floor(random() * list.length)];
  const errors = samples.filter((s) => s.level === 'ERROR');
  const others = samples.filter((s) => s.level !== 'ERROR');
  const count = 6 + Math.floor(random() * 5);
  const errorCount = random() < 0.5 ? 1 : 2;
  const chosen = [];
  for (let i = 0; i < count; i++) chosen.push(pick(i < errorCount ? errors : others));
  chosen.sort(() => random() - 0.5);
  const times = chosen.map(() => now - Math.floor(random() * 55000)).sort((a, b) => a - b);
  return chosen.map((sample, i) => {
    const line = JSON.parse(sample.line);
    line.timestamp = new Date(times[i]).toISOString();
    line.requestId = randomUUID();
    line.latencyMs = Math.max(1, Math.round(line.latencyMs * (0.5 + random())));
    return { timestamp: times[i], message: JSON.stringify(line) };
  });
};

exports.handler = async () => {
  const logEvents = exports.buildLogEvents(JSON.parse(process.env.SAMPLE_EVENTS));
  await logs.send(new PutLogEventsCommand({ logGroupName: process.env.LOG_GROUP_NAME, logStreamName: process.env.LOG_STREAM_NAME, logEvents }));
  return { written: logEvents.length };
};
