import { TokenBucket } from '../../../lib/grade/rate-limit';

describe('TokenBucket', () => {
  afterEach(() => jest.useRealTimers());

  it('lets a burst through at once, then one request per 1/rate seconds, in order', async () => {
    jest.useFakeTimers();
    const bucket = new TokenBucket(10, 2, () => Date.now());
    const start = Date.now();
    const released: [number, number][] = [];
    const all = [0, 1, 2, 3, 4].map((i) => bucket.take().then(() => released.push([i, Date.now() - start])));
    await jest.advanceTimersByTimeAsync(1_000);
    await Promise.all(all);
    expect(released.map(([i]) => i)).toEqual([0, 1, 2, 3, 4]);
    expect(released.map(([, t]) => t)).toEqual([0, 0, 100, 200, 300]);
  });

  it('refills while idle, never beyond the burst', async () => {
    jest.useFakeTimers();
    const bucket = new TokenBucket(5, 3, () => Date.now());
    for (let i = 0; i < 3; i++) await bucket.take();
    jest.advanceTimersByTime(10_000);
    let released = 0;
    for (let i = 0; i < 4; i++) void bucket.take().then(() => (released += 1));
    await jest.advanceTimersByTimeAsync(0);
    expect(released).toBe(3);
    await jest.advanceTimersByTimeAsync(200);
    expect(released).toBe(4);
  });

  it('refuses a rate or burst that could never release anything', () => {
    expect(() => new TokenBucket(0)).toThrow(RangeError);
    expect(() => new TokenBucket(5, 0)).toThrow(RangeError);
  });
});
