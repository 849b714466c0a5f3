import { performance } from 'node:perf_hooks';

/**
 * A token bucket: `take()` resolves at most `ratePerSecond` times a second on average, after an
 * initial burst of `burst`. Waiters are served in order. One per learner account, so that grading
 * stays under the account's API rate limits (which the learner's own tools share).
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly waiting: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number = Math.max(1, Math.ceil(ratePerSecond)),
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(ratePerSecond > 0) || !(burst >= 1)) throw new RangeError(`TokenBucket needs a positive rate and a burst of at least 1 (got ${ratePerSecond}, ${burst}).`);
    this.tokens = burst;
    this.last = now();
  }

  /** Resolves when a request may be sent. */
  take(): Promise<void> {
    this.refill();
    if (this.waiting.length === 0 && this.tokens >= 1) {
      this.tokens -= 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.schedule();
    });
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.ratePerSecond) / 1000);
    this.last = now;
  }

  private schedule(): void {
    if (this.timer) return;
    const waitMs = Math.max(0, ((1 - this.tokens) * 1000) / this.ratePerSecond);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.refill();
      while (this.waiting.length > 0 && this.tokens >= 1) {
        this.tokens -= 1;
        this.waiting.shift()!();
      }
      if (this.waiting.length > 0) this.schedule();
    }, Math.ceil(waitMs));
  }
}
