// The orders-api app the lab seeds into the pipeline's source (source.zip), as path → content. No CDK import:
// the solution reads it too. The one-line pricing bug is on purpose: test/pricing.test.js exposes it.

/** The buggy line of src/pricing.js, and what fixes it. */
export const PRICING_BUG = { file: 'src/pricing.js', line: '  return Math.round(subtotal * (1 - discountPercent / 10));', fixed: '  return Math.round(subtotal * (1 - discountPercent / 100));' } as const;

/** The seeded source, with the bug. */
export const SEEDED_SOURCE: Readonly<Record<string, string>> = {
  'package.json': `{
  "name": "orders-api",
  "version": "1.4.2",
  "private": true,
  "scripts": { "test": "node --test" }
}
`,
  'src/pricing.js': `'use strict';
// Prices are in cents. A discount is a percentage of the order total.

exports.lineTotal = (item) => item.unitCents * item.quantity;

exports.orderTotal = (items, discountPercent = 0) => {
  const subtotal = items.reduce((sum, item) => sum + exports.lineTotal(item), 0);
  return Math.round(subtotal * (1 - discountPercent / 10));
};
`,
  'src/auth.js': `'use strict';
// Callers present the API key in the x-api-key header.
const { timingSafeEqual } = require('node:crypto');

exports.authorized = (headers, key) => {
  const given = Buffer.from(String(headers['x-api-key'] || ''));
  const expected = Buffer.from(String(key || ''));
  return expected.length > 0 && given.length === expected.length && timingSafeEqual(given, expected);
};
`,
  'test/pricing.test.js': `'use strict';
const assert = require('node:assert/strict');
const { test } = require('node:test');
const { lineTotal, orderTotal } = require('../src/pricing');

const cart = [
  { sku: 'mug', unitCents: 1250, quantity: 2 },
  { sku: 'tea', unitCents: 499, quantity: 1 },
];

test('multiplies the unit price by the quantity', () => {
  assert.equal(lineTotal(cart[0]), 2500);
});

test('sums the lines of an order', () => {
  assert.equal(orderTotal(cart), 2999);
});

test('applies a percentage discount to the order total', () => {
  assert.equal(orderTotal(cart, 10), 2699);
});

test('totals an empty order at zero', () => {
  assert.equal(orderTotal([]), 0);
});
`,
  'test/auth.test.js': `'use strict';
const assert = require('node:assert/strict');
const { test } = require('node:test');
const { authorized } = require('../src/auth');

const key = process.env.API_KEY;

test('reads the API key from the environment', () => {
  assert.match(key || '', /^ordk_[0-9a-f]{40}$/, 'API_KEY is not set to an orders-api key');
});

test('accepts a request with the API key', () => {
  assert.equal(authorized({ 'x-api-key': key }, key), true);
});

test('rejects a request without the API key', () => {
  assert.equal(authorized({}, key), false);
});
`,
};
