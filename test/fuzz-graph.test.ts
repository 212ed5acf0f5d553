// Structural fuzz: mutated attributes, shapes, op types, initializer sizes/values and wiring compile or fail with a diagnostic within 5 s.
import { describe, expect, it } from 'vitest';
import { compileOutcome, mutateGraph } from '../src/testing/fuzz-graph.js';
import { baseModel } from '../src/testing/fuzz-graph.js';
import { onnx } from 'onnx-proto';

const CASES = 240;

describe('structurally fuzzed models through compile', () => {
  it('the unmutated base model compiles', () => {
    expect(compileOutcome(onnx.ModelProto.encode(baseModel()).finish()).result).toBe('loaded');
  });
  it(`${CASES} mutations compile or fail with a catalogued diagnostic, never a crash, each within 5 s`, () => {
    const counts: Record<string, number> = {};
    for (let seed = 1; seed <= CASES; seed++) {
      const { bytes, kind } = mutateGraph(seed);
      const out = compileOutcome(bytes);
      if (out.result === 'crash') throw new Error(`seed ${seed} (${kind}) crashed: ${out.error}`);
      expect(out.ms, `seed ${seed} (${kind})`).toBeLessThan(5000);
      const key = out.result === 'loaded' ? 'compiled' : out.code!;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    expect(counts.compiled ?? 0).toBeGreaterThan(0);
    expect(CASES - (counts.compiled ?? 0)).toBeGreaterThan(CASES / 4);
  }, 120_000);
});
