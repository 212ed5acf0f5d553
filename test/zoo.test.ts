// Exported standard CNNs (examples/zoo: ResNet-18, MobileNetV2, MobileNetV3-small, UNet) at reduced width: compile,
// float agreement (SQNR of the logits), C bit-exact with the integer interpreter, multiply-free.
import { describe, expect, it } from 'vitest';
import { loadModel } from '../src/api.js';
import type { Graph } from '../src/ir/graph.js';
import { runGraph } from '../src/ir/interp-float.js';
import type { Tensor } from '../src/ir/tensor.js';
import { agreement, compileModel, expectCBitExact, runShift } from './helpers/coverage.js';
import { exportZoo, rows, zooUnavailable } from './helpers/zoo.js';

const why = zooUnavailable();
if (why) console.warn(`test/zoo.test.ts skipped: ${why}`);

/**
 * Reduced widths and sizes that compile in seconds; the floors are the SQNR measured at --terms 2 (bench/results/
 * zoo.txt has the full-size figures) less about 3 dB. Random weights: the point is conversion and agreement.
 */
const MODELS = [
  { model: 'resnet18', args: ['--width', '0.25', '--size', '32'], recover: true, measured: 19.7, floor: 16 },
  { model: 'mobilenetv2', args: ['--width', '0.25', '--size', '64'], recover: false, measured: 18.9, floor: 15 },
  { model: 'mobilenetv3small', args: ['--width', '0.25', '--size', '64'], recover: true, measured: 13.1, floor: 10 },
  { model: 'unet', args: ['--width', '0.25', '--size', '32'], recover: true, measured: 16.3, floor: 13 },
] as const;

const CALIB = 16;
const TEST = 8;

const each = (t: Tensor, from: number, to: number): Tensor[] => Array.from({ length: to - from }, (_, k) => rows(t, from + k, from + k + 1));

/** SQNR in dB of `b` against `a`. */
function sqnr(a: readonly Tensor[], b: readonly Tensor[]): number {
  let sig = 0;
  let noise = 0;
  a.forEach((t, k) => t.data.forEach((v, i) => { sig += v ** 2; noise += (v - b[k]!.data[i]!) ** 2; }));
  return 10 * Math.log10(sig / Math.max(noise, 1e-30));
}

/** Fraction of pixels whose class (argmax over channels of an [1, C, H, W] output) agrees. */
function pixelAgreement(a: Tensor, b: Tensor): number {
  const [, c, h, w] = a.shape as [number, number, number, number];
  let same = 0;
  for (let p = 0; p < h * w; p++) {
    let ia = 0;
    let ib = 0;
    for (let k = 1; k < c; k++) {
      if (a.data[k * h * w + p]! > a.data[ia * h * w + p]!) ia = k;
      if (b.data[k * h * w + p]! > b.data[ib * h * w + p]!) ib = k;
    }
    if (ia === ib) same++;
  }
  return same / (h * w);
}

describe.skipIf(why !== undefined)('exported standard CNNs (examples/zoo/export.py)', () => {
  for (const m of MODELS) {
    it(`${m.model} ${m.args.join(' ')}: compiles (recovery ${m.recover ? 'on' : 'off'}), logits SQNR > ${m.floor} dB, C bit-exact, multiply-free`, () => {
      const z = exportZoo(m.model, [...m.args, '--calib', String(CALIB + TEST)]);
      const g: Graph = loadModel(z.onnx);
      const test = each(z.calib, CALIB, CALIB + TEST);
      // The importer reproduces PyTorch's float outputs (BatchNormalization, Clip, HardSwish, Resize, ... as exported).
      expect(sqnr(each(z.expected, CALIB, CALIB + TEST), test.map((x) => runGraph(g, [x])[0]!))).toBeGreaterThan(80);
      const res = compileModel(g, rows(z.calib, 0, CALIB), { terms: 2, recover: m.recover });
      expect(res.report.totals.multiplies).toBe(0);
      const a = agreement(g, res, test);
      const top1 = m.model === 'unet'
        ? test.reduce((s, x) => s + pixelAgreement(runGraph(g, [x])[0]!, runShift(res, x)), 0) / test.length
        : a.top1;
      console.log(`zoo ${m.model} ${m.args.join(' ')} K=2 recovery ${m.recover ? 'on' : 'off'}: SQNR ${a.sqnrDb.toFixed(1)} dB (measured ${m.measured}), ${m.model === 'unet' ? 'pixel' : 'top-1'} agreement ${(100 * top1).toFixed(0)}%`);
      expect(a.sqnrDb).toBeGreaterThan(m.floor);
      const c = expectCBitExact(res, `zoo_${m.model}`, test.slice(0, 4));
      expect(c.equal).toBe(true);
      expect(c.stars).toEqual([]);
    });
  }
});
