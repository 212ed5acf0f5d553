// MLIR-style pass tests: textual IR in (test/passes/<case>.ir), one pass, golden IR out (test/golden/passes/).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Graph } from '../src/ir/graph.js';
import { parseGraph } from '../src/ir/parser.js';
import { printGraph } from '../src/ir/printer.js';
import { tensor, type Tensor } from '../src/ir/tensor.js';
import { verifyGraph } from '../src/ir/verify.js';
import { CALIBRATION_ACTIVATIONS, LOWERING } from '../src/passes/analyses.js';
import { calibrateActivations } from '../src/passes/calibrate-activations.js';
import { canonicalize } from '../src/passes/canonicalize.js';
import { passContext, type ConversionOptions, type Pass } from '../src/passes/context.js';
import { dropOutputSoftmax } from '../src/passes/drop-output-softmax.js';
import { foldBatchnorm } from '../src/passes/fold-batchnorm.js';
import { foldChannelAffine } from '../src/passes/fold-channel-affine.js';
import { fuseHardSwish } from '../src/passes/fuse-hard-swish.js';
import { mergeClamps } from '../src/passes/merge-clamps.js';
import { pairConvs } from '../src/passes/pair-convs.js';
import { lowerToShift } from '../src/passes/lower-to-shift.js';
import { runPass, SHIFT_PIPELINE } from '../src/passes/pipeline.js';
import { pruneChannels } from '../src/passes/prune-channels.js';
import { pruneWeights } from '../src/passes/prune-weights.js';
import { expectGolden } from './helpers/golden.js';
import { mulberry32 } from './helpers/prng.js';

const ALL = { elideConstantsOver: Infinity };

function input(name: string): Graph {
  const g = parseGraph(readFileSync(new URL(`./passes/${name}.ir`, import.meta.url), 'utf8'));
  verifyGraph(g, `${name}.ir`);
  return g;
}

/** `n` deterministic samples for the graph's first input, stacked along dim 0 (uniform in [lo, lo + 1)). */
function calibration(g: Graph, n: number, seed: number, lo = 0): Tensor[] {
  const shape = g.values[g.inputs[0]!]!.type.shape;
  const per = shape.reduce((a, b) => a * b, 1);
  const rng = mulberry32(seed);
  return [tensor('float32', [n * shape[0]!, ...shape.slice(1)], Array.from({ length: n * per }, () => lo + rng()))];
}

interface Case {
  /** Golden name (test/golden/passes/<golden>.ir); the input is test/passes/<input ?? golden>.ir. */
  golden: string;
  input?: string;
  pass: Pass;
  options?: ConversionOptions;
  calibrate?: boolean;
}

const CASES: readonly Case[] = [
  { golden: 'canonicalize', pass: canonicalize },
  { golden: 'fold-batchnorm', pass: foldBatchnorm },
  { golden: 'fold-channel-affine', pass: foldChannelAffine },
  { golden: 'fuse-hard-swish', pass: fuseHardSwish },
  { golden: 'merge-clamps', pass: mergeClamps },
  { golden: 'drop-output-softmax', pass: dropOutputSoftmax },
  { golden: 'prune-channels', pass: pruneChannels, options: { pruneChannels: 0.5 }, calibrate: true },
  { golden: 'prune-weights', pass: pruneWeights, options: { prune: 0.5 } },
  { golden: 'pair-convs', pass: pairConvs, options: { mode: 'shiftadd' }, calibrate: true },
  { golden: 'calibrate-activations', pass: calibrateActivations, calibrate: true },
  { golden: 'lower-to-shift', pass: lowerToShift, options: { terms: 2 }, calibrate: true },
  { golden: 'lower-to-shift-terms1-no-recover', input: 'lower-to-shift', pass: lowerToShift, options: { terms: 1, recover: false }, calibrate: true },
  { golden: 'lower-to-shift-avg-terms', input: 'lower-to-shift', pass: lowerToShift, options: { avgTerms: 1.5 }, calibrate: true },
];

function runCase(c: Case): { before: string; after: string } {
  const g = input(c.input ?? c.golden);
  const ctx = passContext({ ...c.options, ...(c.calibrate ? { calibration: calibration(g, 16, 7) } : {}) });
  const out = runPass(c.pass, g, ctx);
  verifyGraph(out, c.pass.name);
  return { before: printGraph(g, ALL), after: printGraph(out, ALL) };
}

describe('passes on textual IR', () => {
  for (const c of CASES) {
    it(`${c.pass.name}: ${c.golden}`, () => {
      const { before, after } = runCase(c);
      // Every case exercises the pass's real work: the output is not its input.
      expect(after).not.toBe(before);
      expectGolden(`passes/${c.golden}.ir`, after);
    });
  }

  it('covers every pass of the pipeline', () => {
    const tested = new Set(CASES.map((c) => c.pass.name));
    for (const p of SHIFT_PIPELINE) expect(tested.has(p.name), p.name).toBe(true);
  });

  it('a pass with nothing to do returns its input graph (pruning off, shift mode)', () => {
    const g = input('prune-weights');
    for (const pass of [pruneWeights, pruneChannels, pairConvs]) expect(runPass(pass, g, passContext({}))).toBe(g);
  });
});

describe('analyses', () => {
  it('calibrate-activations provides the activations of its output graph; a rebuilt graph drops them', () => {
    const g = input('calibrate-activations');
    const ctx = passContext({ calibration: calibration(g, 4, 3) });
    const calibrated = runPass(calibrateActivations, g, ctx);
    const store = ctx.analyses.get(CALIBRATION_ACTIVATIONS, calibrated);
    expect(store).toBeDefined();
    expect(ctx.analyses.get(CALIBRATION_ACTIVATIONS, g)).toBeUndefined();
    const y = calibrated.outputs[0]!;
    expect(store!.take(y, 4, true)?.length).toBe(4);
    // prune-weights at 0 keeps the graph (and so the analysis); canonicalize rebuilds it.
    expect(runPass(pruneWeights, calibrated, ctx)).toBe(calibrated);
    expect(ctx.analyses.get(CALIBRATION_ACTIVATIONS, calibrated)).toBe(store);
    runPass(canonicalize, calibrated, ctx);
    expect(ctx.analyses.get(CALIBRATION_ACTIVATIONS, calibrated)).toBeUndefined();
  });

  it('lower-to-shift gives the same graph whether calibration provided its activations or it computed them', () => {
    const g = input('calibrate-activations');
    const calib = calibration(g, 8, 5);
    const chained = passContext({ calibration: calib });
    const provided = runPass(calibrateActivations, g, chained);
    const lowered = runPass(lowerToShift, provided, chained);
    const fresh = passContext({ calibration: calib });
    const calibrated = runPass(calibrateActivations, g, passContext({ calibration: calib }));
    const alone = runPass(lowerToShift, calibrated, fresh);
    expect(printGraph(alone, ALL)).toBe(printGraph(lowered, ALL));
    expect(chained.analyses.get(LOWERING, lowered)!.floatGraph).toBe(provided);
    // Lowering rebuilt the graph: calibration's activations are dropped with the graph they describe.
    expect(chained.analyses.get(CALIBRATION_ACTIVATIONS, provided)).toBeUndefined();
  });

  it('a pass may not provide an analysis it does not declare', () => {
    const rogue: Pass = { name: 'rogue-pass', run: (g, ctx) => { ctx.analyses.provide(LOWERING, { floatGraph: g, taps: new Map() }); return g; } };
    expect(() => runPass(rogue, input('canonicalize'), passContext({}))).toThrow(/undeclared analysis 'lowering'/);
  });

  it('report taps are kept only when the pass settings ask for them', () => {
    const g = input('lower-to-shift');
    const calib = calibration(g, 8, 2);
    const taps = (settings: { tapSamples?: number }) => {
      const ctx = passContext({ calibration: calib }, settings);
      const out = runPass(lowerToShift, g, ctx);
      return ctx.analyses.get(LOWERING, out)!.taps;
    };
    expect(taps({}).size).toBe(0);
    const kept = taps({ tapSamples: 2 });
    expect(kept.size).toBeGreaterThan(0);
    for (const t of kept.values()) { expect(t.int?.length).toBe(2); expect(t.float?.length).toBe(2); }
  });
});

describe('pass context', () => {
  it('validates the user options and fills in defaults (explicit undefined too)', () => {
    const ctx = passContext({ terms: undefined, prune: 0.5 });
    expect(ctx.user).toMatchObject({ terms: 2, shiftBits: 4, actBits: 8, prune: 0.5, pruneChannels: 0, recover: true, channelGain: true, channelFracs: true });
    expect(ctx.user.avgTerms).toBeUndefined();
    expect(() => passContext({ prune: 1 })).toThrow(/--prune must be in \[0, 1\)/);
    expect(() => passContext({ avgTerms: 1.5, recover: false })).toThrow(/--avg-terms needs recovery/);
  });
});
