import type { Rng } from './types';

/*
 * Beta sampling for Thompson sampling, hand-written on purpose: no well-kept
 * library takes an injected Rng at this speed, and the decision must be
 * reproducible from one (tests, offline replay) while running hundreds of
 * draws within a 50 us budget. What is here is textbook: Marsaglia–Tsang
 * Gamma draws over a ziggurat normal, Beta = X / (X + Y), checked against
 * closed-form CDFs in the tests.
 */

/**
 * sfc32 (Chris Doty-Humphrey's Small Fast Chaotic PRNG, 128-bit state):
 * passes PractRand/BigCrush and costs a few integer ops per draw.
 */
function sfc32(a: number, b: number, c: number, d: number): Rng {
  return () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

/**
 * Seeded generator for tests and offline replay: sfc32 with the seed in one
 * word of its state and the first outputs discarded, so nearby seeds give
 * unrelated streams.
 */
export function seededRng(seed: number): Rng {
  const rng = sfc32(0x9e3779b9, 0x243f6a88, 0xb7e15162, seed >>> 0);
  for (let i = 0; i < 15; i++) rng();
  return rng;
}

/**
 * The production source of randomness: sfc32 seeded once per process from
 * Math.random (which V8 seeds from OS entropy). Not Math.random itself: on
 * Node 20 every Math.random() result was a fresh 16-byte heap number in our
 * measurements, so the thousands of uniforms of a ten-candidate decision made
 * tens of KB of garbage whose scavenges alone broke the 50 us p99 budget.
 */
export const defaultRng: Rng = sfc32(
  (Math.random() * 4294967296) >>> 0,
  (Math.random() * 4294967296) >>> 0,
  (Math.random() * 4294967296) >>> 0,
  (Math.random() * 4294967296) >>> 0
);

/*
 * Ziggurat tables for the standard normal, 128 layers (Marsaglia & Tsang,
 * "The Ziggurat Method for Generating Random Variables", JSS 2000, zigset).
 * K: acceptance thresholds on |hz|, W: hz -> x scale, F: pdf at layer edges.
 */
const ZIG_R = 3.442619855899;
const ZIG_V = 9.91256303526217e-3;
const ZIG_K = new Float64Array(128);
const ZIG_W = new Float64Array(128);
const ZIG_F = new Float64Array(128);
{
  const m1 = 2147483648;
  let dn = ZIG_R;
  let tn = dn;
  const q = ZIG_V / Math.exp(-0.5 * dn * dn);
  ZIG_K[0] = (dn / q) * m1;
  ZIG_K[1] = 0;
  ZIG_W[0] = q / m1;
  ZIG_W[127] = dn / m1;
  ZIG_F[0] = 1;
  ZIG_F[127] = Math.exp(-0.5 * dn * dn);
  for (let i = 126; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(ZIG_V / dn + Math.exp(-0.5 * dn * dn)));
    ZIG_K[i + 1] = (dn / tn) * m1;
    tn = dn;
    ZIG_F[i] = Math.exp(-0.5 * dn * dn);
    ZIG_W[i] = dn / m1;
  }
}

/** Doubles per Beta in a plan table (see writeBetaPlan). */
export const BETA_PLAN_SIZE = 9;

// Slots of one plan. KIND: 0 general, 1 Beta(1, 1) = U, 2 Beta(a, 1) =
// U^(1/a), 3 Beta(1, b) = 1 - U^(1/b). D/C: Marsaglia–Tsang d = shape - 1/3
// and c = 1/sqrt(9d) of each Gamma; BOOST: 1/shape when shape < 1, else 0.
const KIND = 0;
const EXPONENT = 1;
const MEAN = 2;
const A_D = 3;
const A_C = 4;
const A_BOOST = 5;
const B_D = 6;
const B_C = 7;
const B_BOOST = 8;

/** Marsaglia–Tsang d for a shape, boosted to shape + 1 below 1. */
function tsangD(shape: number): number {
  return (shape < 1 ? shape + 1 : shape) - 1 / 3;
}

/**
 * Prepares Beta(alpha, beta) (both > 0) for repeated draws at
 * `table[offset .. offset + BETA_PLAN_SIZE)`. A flat Float64Array rather than
 * objects: V8 boxes every double field of an object, and the plans of a
 * decision were a large share of its garbage.
 */
export function writeBetaPlan(
  table: Float64Array,
  offset: number,
  alpha: number,
  beta: number
): void {
  let kind = 0;
  let exponent = 1;
  if (alpha === 1 && beta === 1) kind = 1;
  else if (beta === 1) {
    kind = 2;
    exponent = 1 / alpha;
  } else if (alpha === 1) {
    kind = 3;
    exponent = 1 / beta;
  }
  const aD = tsangD(alpha);
  const bD = tsangD(beta);
  table[offset + KIND] = kind;
  table[offset + EXPONENT] = exponent;
  table[offset + MEAN] = alpha / (alpha + beta);
  table[offset + A_D] = aD;
  table[offset + A_C] = 1 / Math.sqrt(9 * aD);
  table[offset + A_BOOST] = alpha < 1 ? 1 / alpha : 0;
  table[offset + B_D] = bD;
  table[offset + B_C] = 1 / Math.sqrt(9 * bD);
  table[offset + B_BOOST] = beta < 1 ? 1 / beta : 0;
}

/**
 * Draws Beta variates from one Rng: Beta = X / (X + Y) with X, Y Gamma draws.
 * Stateless apart from the Rng, so draws are a pure function of the Rng's
 * output sequence.
 */
export class BetaSampler {
  /*
   * normalSlow's result travels through this field rather than a return
   * value: a returned double is boxed, and merging it with the inlined fast
   * path made V8 box every normal deviate.
   */
  private slowNormal = 0;

  public constructor(private readonly rng: Rng) {}

  /**
   * For each i of `indices`, in order, draws from the plan at
   * `plans[i * BETA_PLAN_SIZE]` into `out[outOffset + i]`. Everything is
   * inlined in one loop on purpose: a draw returned from a non-inlined call is
   * boxed as a heap number, and that GC churn dominated the decision's p99.
   */
  public sampleInto(
    plans: Float64Array,
    indices: readonly number[],
    out: Float64Array,
    outOffset: number
  ): void {
    const rng = this.rng;
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k];
      const p = i * BETA_PLAN_SIZE;
      const kind = plans[p + KIND];
      if (kind === 1) {
        out[outOffset + i] = rng();
        continue;
      }
      if (kind === 2) {
        out[outOffset + i] = rng() ** plans[p + EXPONENT];
        continue;
      }
      if (kind === 3) {
        out[outOffset + i] = 1 - rng() ** plans[p + EXPONENT];
        continue;
      }
      let x = 0;
      let y = 0;
      for (let side = 0; side < 2; side++) {
        const q = side === 0 ? p : p + 3;
        const d = plans[q + A_D];
        const c = plans[q + A_C];
        // Initialised so the loop phi stays an unboxed double (an undefined
        // start would make V8 box every Gamma draw).
        let g = 0;
        // Gamma(shape, 1), Marsaglia & Tsang (2000).
        for (;;) {
          // Ziggurat fast path inlined; see normalSlow for the rest.
          const hz = (rng() * 4294967296) | 0;
          const iz = hz & 127;
          let z = hz * ZIG_W[iz];
          if (Math.abs(hz) >= ZIG_K[iz]) {
            this.normalSlow(hz, iz);
            z = this.slowNormal;
          }
          let v = 1 + c * z;
          if (v <= 0) continue;
          v = v * v * v;
          const u = rng();
          const z2 = z * z;
          // The squeeze accepts ~98% of draws without a logarithm.
          if (
            u < 1 - 0.0331 * z2 * z2 ||
            Math.log(u) < 0.5 * z2 + d * (1 - v + Math.log(v))
          ) {
            g = d * v;
            break;
          }
        }
        const boost = plans[q + A_BOOST];
        if (boost !== 0) g *= rng() ** boost;
        if (side === 0) x = g;
        else y = g;
      }
      const sum = x + y;
      // Both shapes tiny: the draws underflow and Beta tends to Bernoulli(mean).
      out[outOffset + i] =
        sum === 0 ? (rng() < plans[p + MEAN] ? 1 : 0) : x / sum;
    }
  }

  /**
   * Standard normal by the ziggurat (Marsaglia & Tsang 2000), slow part: the
   * fast path (one Rng call and a table lookup, ~98% of draws) is inlined in
   * sampleInto. The 32 bits come from one Rng draw, so 32-bit generators
   * suffice; as in the original, the layer index reuses the low 7 bits.
   * This handles the wedges and the tail beyond ZIG_R.
   */
  private normalSlow(hz: number, iz: number): void {
    for (;;) {
      if (iz === 0) {
        let x = 0;
        let y = 0;
        do {
          // 1 - U is in (0, 1], so the logarithms stay finite.
          x = -Math.log(1 - this.rng()) / ZIG_R;
          y = -Math.log(1 - this.rng());
        } while (y + y < x * x);
        this.slowNormal = hz > 0 ? ZIG_R + x : -ZIG_R - x;
        return;
      }
      const x = hz * ZIG_W[iz];
      const f = ZIG_F[iz];
      if (f + this.rng() * (ZIG_F[iz - 1] - f) < Math.exp(-0.5 * x * x)) {
        this.slowNormal = x;
        return;
      }
      hz = (this.rng() * 4294967296) | 0;
      iz = hz & 127;
      if (Math.abs(hz) < ZIG_K[iz]) {
        this.slowNormal = hz * ZIG_W[iz];
        return;
      }
    }
  }
}

const ONLY_FIRST: readonly number[] = [0];

/** One Beta(alpha, beta) draw from the injected Rng; alpha, beta > 0. */
export function sampleBeta(alpha: number, beta: number, rng: Rng): number {
  if (!(alpha > 0 && beta > 0 && Number.isFinite(alpha + beta))) {
    throw new RangeError(
      `beta parameters must be finite and > 0, got alpha=${alpha} beta=${beta}`
    );
  }
  const plan = new Float64Array(BETA_PLAN_SIZE);
  writeBetaPlan(plan, 0, alpha, beta);
  const out = new Float64Array(1);
  new BetaSampler(rng).sampleInto(plan, ONLY_FIRST, out, 0);
  return out[0];
}
