// Fuzz: mutated bytes of a valid model either load or get a diagnostic, never a crash or a hang.
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadOutcome, mutate } from '../src/testing/fuzz.js';

const MODEL = new URL('../examples/lenet.onnx', import.meta.url);
const CASES = 300;

describe('fuzzed models', () => {
  it(`${CASES} mutations load or fail with a diagnostic within 2 s`, () => {
    const base = new Uint8Array(fs.readFileSync(MODEL));
    expect(loadOutcome(base).result).toBe('loaded');
    const counts: Record<string, number> = {};
    for (let seed = 1; seed <= CASES; seed++) {
      const { bytes, kind } = mutate(base, seed);
      const out = loadOutcome(bytes);
      if (out.result === 'crash') throw new Error(`seed ${seed} (${kind}) crashed: ${out.error}`);
      expect(out.ms, `seed ${seed} (${kind})`).toBeLessThan(2000);
      const key = out.result === 'loaded' ? 'loaded' : out.code!;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    // Both outcomes must occur, or the mutations are not exercising the decoder.
    expect(counts.loaded ?? 0).toBeGreaterThan(0);
    expect(CASES - (counts.loaded ?? 0)).toBeGreaterThan(0);
  });
});
