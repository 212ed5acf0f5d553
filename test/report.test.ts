// The conversion report counts from the graphs it describes: multiplies come from the lowered graph's op costs.
import { describe, expect, it } from 'vitest';
import { compile } from '../src/compile.js';
import { inspect } from '../src/inspect.js';
import { tensor } from '../src/ir/tensor.js';
import { buildReport } from '../src/report.js';
import { readFileSync } from 'node:fs';
import { parseGraph } from '../src/ir/parser.js';
import { pruneNotes } from '../src/compile-notes.js';
import { modelGraph } from './helpers/onnx-builder.js';
import { tinyCnn } from './backend-c-models.js';
import { mulberry32 } from './helpers/prng.js';

describe('report', () => {
  const rng = mulberry32(3);
  const calib = tensor('float32', [16, 1, 8, 8], Array.from({ length: 16 * 64 }, () => rng()));
  const r = compile(modelGraph(tinyCnn(1)), { calibration: [calib], terms: 1 });

  it('counts zero multiplies for the lowered graph and every multiply of a graph that still has them', () => {
    expect(r.report.totals.multiplies).toBe(0);
    // The same accounting over a graph whose convolutions are not shift layers counts their MACs as multiplies.
    const float = buildReport(r.floatGraph, r.floatGraph, [calib], {}, [], 0, new Map());
    expect(inspect(r.floatGraph).totals.macs).toBeGreaterThan(0);
    expect(float.totals.multiplies).toBe(inspect(r.floatGraph).totals.macs);
  });

  it('says which convolutions structured pruning cut, measured on the graphs before and after, or why none', () => {
    const read = (f: string) => parseGraph(readFileSync(new URL(f, import.meta.url), 'utf8'));
    const before = read('./passes/prune-channels.ir');
    const after = read('./golden/passes/prune-channels.ir');
    const notes = pruneNotes(before, after, 0.5);
    expect(notes.length).toBeGreaterThan(0);
    expect(notes.every((n) => /: kept \d+ of \d+ output channels \(--prune-channels 0.5\)$/.test(n))).toBe(true);
    expect(pruneNotes(before, before, 0.5)).toEqual([expect.stringMatching(/^--prune-channels 0.5 removed no channel/)]);
    expect(pruneNotes(before, after, undefined)).toEqual([]);
  });
});
