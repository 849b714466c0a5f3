'use strict';
// The payments service stand-in of lab eventbridge-incidents: run every minute, it puts the contract's SAMPLE_EVENTS
// (env SAMPLE_EVENTS) on the lab bus with fresh payment ids, and fails every ALARM_EVERY-th minute so that its own
// Errors metric drives the lab alarm into ALARM now and then.
const { randomBytes } = require('node:crypto');
const { EventBridgeClient, PutEventsCommand } = require('@aws-sdk/client-eventbridge');

const events = new EventBridgeClient({});

/** This minute's PutEvents entries (at most 10, PutEvents' limit per call). */
exports.buildEntries = (samples, busName, source, now = new Date()) =>
  samples.slice(0, 10).map((sample) => ({
    EventBusName: busName,
    Source: source,
    DetailType: sample.detailType,
    Time: now,
    Detail: JSON.stringify({ ...sample.detail, paymentId: `pay-${randomBytes(3).toString('hex')}` }),
  }));

/** True in the minutes the generator fails on purpose. */
exports.failsAt = (now, every) => every > 0 && Math.floor(now.getTime() / 60000) % every === 0;

exports.handler = async () => {
  const now = new Date();
  const entries = exports.buildEntries(JSON.parse(process.env.SAMPLE_EVENTS), process.env.EVENT_BUS_NAME, process.env.EVENT_SOURCE, now);
  const result = await events.send(new PutEventsCommand({ Entries: entries }));
  if (result.FailedEntryCount) {
    const codes = (result.Entries || []).map((e) => e.ErrorCode).filter(Boolean);
    throw new Error(`PutEvents refused ${result.FailedEntryCount} of ${entries.length} events: ${codes.join(', ')}`);
  }
  if (exports.failsAt(now, Number(process.env.ALARM_EVERY))) {
    throw new Error(`simulated payment processor crash (every ${process.env.ALARM_EVERY} minutes): drives alarm ${process.env.ALARM_NAME}`);
  }
  return { put: entries.length };
};
