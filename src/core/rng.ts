import { checkInt, ParameterError } from "./errors.js";

/**
 * Seeded PRNG (mulberry32: 32-bit state, period 2^32). Every random choice in the course
 * takes one, so a figure, a trace or an exercise can be reproduced from its seed.
 * Pure 32-bit integer arithmetic, so the C reference (test/c/tlbsim.c) produces the
 * same stream bit for bit.
 */
export class Rng {
  private state: number;
  constructor(readonly seed: number) {
    checkInt("seed", seed, 0, 0xffffffff);
    this.state = seed >>> 0;
  }

  /** Next 32-bit unsigned integer. */
  nextU32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform integer in [0, n), n ≤ 2^32 (by multiply-shift, as the C reference does). */
  nextInt(n: number): number {
    if (!(n >= 1 && n <= 4294967296)) throw new ParameterError("n", `nextInt needs 1 ≤ n ≤ 2^32, got ${n}`);
    return Math.floor(this.next() * n);
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }
}
