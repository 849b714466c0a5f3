'use strict';
// The pricing service of lab lambda-canary. One file for every release: the environment variable RELEASE decides how
// it behaves. Releases 1 and 2 answer every request; release 3 fails every second normal request of each execution
// environment but always answers the smoke request ({ "smoke": true }) a pre-traffic hook sends, so a smoke test
// passes and only an alarm on the alias's errors catches it.
const PRICES = { 'sku-basic': 9.5, 'sku-plus': 19, 'sku-pro': 49 };
let served = 0;

exports.handler = async (event = {}) => {
  const release = process.env.RELEASE || '1';
  if (event.smoke) return { ok: true, release, smoke: true };
  served += 1;
  if (release === '3' && served % 2 === 0) {
    throw new Error(`release 3: price table for ${event.sku || 'sku-basic'} not loaded`);
  }
  const sku = PRICES[event.sku] === undefined ? 'sku-basic' : event.sku;
  return { ok: true, release, sku, price: PRICES[sku], currency: 'USD' };
};
