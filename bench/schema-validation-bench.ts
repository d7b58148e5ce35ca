import { performance } from 'node:perf_hooks';
import {
  loadJsonSchemaEngine,
  validatorFor,
} from '../lambdas/core/api/json-schema';
import { schemaViolation } from '../lambdas/core/gateway/structured-output';
import type { JsonSchemaFormat } from '../lambdas/core/types';

/** Latency of the strict structured-output check at one output size. */
export interface SchemaValidationSize {
  /** Answer size, KB (1024 bytes). */
  readonly kb: number;
  readonly p50Us: number;
  readonly p99Us: number;
  /** p50 divided by the size: the per-KB cost at this size. */
  readonly p50UsPerKb: number;
}

/** Figures of the strict structured-output check (JSON.parse + ajv validate). */
export interface SchemaValidationBenchResult {
  readonly sizes: readonly SchemaValidationSize[];
  /** Median per-KB cost over the sizes, µs/KB: the headline figure. */
  readonly usPerKb: number;
  /** First compile of the schema (cache miss), µs. */
  readonly compileUs: number;
  /** A cached validator lookup (hash of the schema + LRU hit), µs. */
  readonly cachedLookupUs: number;
}

/** A realistic extraction schema: a list of line items with nested fields. */
const SCHEMA: Record<string, unknown> = {
  type: 'object',
  properties: {
    invoice: { type: 'string' },
    currency: { type: 'string', enum: ['EUR', 'USD', 'GBP'] },
    items: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          sku: { type: 'string', pattern: '^[A-Z0-9-]+$' },
          description: { type: 'string' },
          quantity: { type: 'integer', minimum: 1 },
          unitPrice: { type: 'number', minimum: 0 },
          tags: { type: 'array', items: { type: 'string' } },
        },
        required: ['sku', 'description', 'quantity', 'unitPrice', 'tags'],
        additionalProperties: false,
      },
    },
  },
  required: ['invoice', 'currency', 'items'],
  additionalProperties: false,
};

function answerOfSize(bytes: number): string {
  const items: unknown[] = [];
  let out = '';
  for (let i = 0; out.length < bytes; i++) {
    items.push({
      sku: `SKU-${i}`,
      description: `Item number ${i}, a plain description of the goods`,
      quantity: 1 + (i % 7),
      unitPrice: 9.99 + i,
      tags: ['stock', i % 2 === 0 ? 'even' : 'odd'],
    });
    out = JSON.stringify({ invoice: 'INV-1', currency: 'EUR', items });
  }
  return out;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

const round = (v: number): number => Math.round(v * 100) / 100;

/**
 * Measures the added latency of strict validation per KB of output: the
 * gateway's own check (JSON.parse of the answer + the cached ajv validator)
 * on conforming answers of 1, 4, 16 and 64 KB, `iterations` times each.
 */
export async function benchSchemaValidation(
  iterations = 2_000
): Promise<SchemaValidationBenchResult> {
  // ajv is a lazy chunk; the router loads it before parsing a json_schema request.
  await loadJsonSchemaEngine();
  // A fresh schema object (by title) so the first compile is a real miss.
  const schema = { ...SCHEMA, title: `bench-${process.hrtime.bigint()}` };
  const t0 = performance.now();
  validatorFor(schema);
  const compileUs = (performance.now() - t0) * 1000;
  const t1 = performance.now();
  for (let i = 0; i < 100; i++) validatorFor(schema);
  const cachedLookupUs = ((performance.now() - t1) * 1000) / 100;

  const format: JsonSchemaFormat = { name: 'invoice', schema, strict: true };
  const sizes: SchemaValidationSize[] = [];
  for (const kb of [1, 4, 16, 64]) {
    const answer = answerOfSize(kb * 1024);
    const runs = Math.max(50, Math.floor(iterations / kb));
    const samples: number[] = [];
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      const why = schemaViolation(format, answer);
      samples.push((performance.now() - start) * 1000);
      if (why !== undefined) throw new Error(`bench answer invalid: ${why}`);
    }
    samples.sort((a, b) => a - b);
    const p50 = percentile(samples, 0.5);
    sizes.push({
      kb,
      p50Us: round(p50),
      p99Us: round(percentile(samples, 0.99)),
      p50UsPerKb: round(p50 / kb),
    });
    // Let timers and GC run between sizes.
    await new Promise((r) => setImmediate(r));
  }
  const perKb = sizes.map((s) => s.p50UsPerKb).sort((a, b) => a - b);
  return {
    sizes,
    usPerKb: perKb[Math.floor(perKb.length / 2)]!,
    compileUs: round(compileUs),
    cachedLookupUs: round(cachedLookupUs),
  };
}
