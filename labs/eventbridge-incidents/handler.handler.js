'use strict';
// The incident handler of lab eventbridge-incidents: records what it receives (one JSON log line per event), so the
// learner can see that the alarm routing works.
exports.handler = async (event) => {
  const line = {
    received: new Date().toISOString(),
    source: event && event.source,
    detailType: event && event['detail-type'],
    alarmName: event && event.detail && event.detail.alarmName,
    state: event && event.detail && event.detail.state && event.detail.state.value,
    resources: event && event.resources,
  };
  console.log(JSON.stringify(line));
  return { recorded: true };
};
