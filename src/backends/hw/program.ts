// The engine program: one 40-word record per schedule step (hw/sa_engine.v reads it), or why the engine cannot run a layer.
import type { Graph } from '../../ir/graph.js';
import type { QAveragePoolAttrs } from '../../ir/ops/qavg-pool.js';
import { windowPlan } from '../../ir/ops/pool.js';
import type { Descriptor } from './descriptor.js';
import type { LayerDesc } from './layers.js';

/** Record fields, in word order (hw/sa_engine.v names the same indices F_*). */
export const FIELDS = ['op', 'x', 'x2', 'y', 'cpg', 'h', 'w', 'hw', 'oh', 'ow', 'plane', 'kh', 'kw', 'sh', 'sw', 'padT', 'padL', 'groups', 'mpg', 'd',
  'terms', 'chan', 'gain', 'hasGain', 'lo', 'hi', 'shift', 'alignA', 'alignB', 'wide', 'csdPos', 'csdNeg', 'n', 'gin', 'shW', 'padTW', 'lut', 'csdD', 'gout', 'lanePlane'] as const;
export type Field = (typeof FIELDS)[number];
export const RECORD_WORDS = 40;
export const OPCODES = { end: 0, conv: 1, maxpool: 2, avgpool: 3, qadd: 4, requant: 5, lut: 6, adder: 7 } as const;

type Rec = Partial<Record<Field, number>>;

/** Per record: the layer it belongs to, and where its output is when the layer's last record has run (check). */
export interface Program { words: number[]; steps: { layer: number; addr: number; words: number; bits: number; check: boolean }[] }

const attrs = (l: LayerDesc) => l.attrs as Record<string, number[] & number & boolean>;

/** Loop geometry of a sliding window over NCHW planes (1-D layers as height 1). */
function spatial(l: LayerDesc, kernel: number[], strides: number[], pads: number[], dil: number[] | undefined): Rec | string {
  if (dil && dil.some((v) => v !== 1)) return 'dilated windows';
  const x = l.inputs[0]!.shape;
  const y = l.output.shape;
  const two = x.length === 4;
  const H = two ? x[2]! : 1, W = x[x.length - 1]!, OH = two ? y[2]! : 1, OW = y[y.length - 1]!;
  const [kh, kw] = two ? kernel : [1, kernel[0]!];
  const [sh, sw] = two ? strides : [1, strides[0]!];
  const [pt, pl] = two ? [pads[0]!, pads[1]!] : [0, pads[0]!];
  return { h: H, w: W, hw: H * W, oh: OH, ow: OW, plane: OH * OW, kh, kw, sh, sw, padT: pt, padL: pl, shW: sh * W, padTW: pt * W };
}

function record(g: Graph, l: LayerDesc, lanes: number): Rec[] | string {
  const a = attrs(l);
  const x = l.inputs[0]!;
  const base: Rec = { x: x.addr, y: l.output.addr, wide: l.output.bits === 16 ? 1 : 0, lo: -32768, hi: 32767 };
  const el = { ...base, n: l.output.words };
  switch (l.kind) {
    case 'ShiftConv':
    case 'ShiftGemm':
    case 'AdderConv': {
      // An adder layer is a conv record with its own opcode: the same window loop, |x - w| instead of the terms.
      const conv = l.kind !== 'ShiftGemm';
      const C = x.shape[1]!;
      const sp = conv ? spatial(l, a.kernel, a.strides, a.pads, a.dilations) : { h: 1, w: 1, hw: 1, oh: 1, ow: 1, plane: 1, kh: 1, kw: 1, sh: 1, sw: 1, padT: 0, padL: 0, shW: 1, padTW: 0 };
      if (typeof sp === 'string') return sp;
      const groups = conv ? a.group : 1;
      const M = l.output.shape[1]!;
      const cpg = C / groups;
      const r = l.regions;
      return [{ ...base, ...sp, op: l.kind === 'AdderConv' ? OPCODES.adder : OPCODES.conv, cpg, groups, mpg: M / groups, d: cpg * sp.kh! * sp.kw!, terms: r.terms!.base, chan: r.bias!.base,
        gain: r.gain?.base ?? 0, hasGain: r.gain ? 1 : 0, lo: a.actMin, gin: cpg * sp.hw!, gout: (M / groups) * sp.plane!, lanePlane: lanes * sp.plane! }];
    }
    case 'MaxPool':
    case 'GlobalMaxPool':
    case 'QAveragePool': {
      const global = l.kind === 'GlobalMaxPool' || a.global;
      const xs = x.shape;
      const k = global ? xs.slice(2) : a.kernel;
      const sp = global ? spatial(l, k, k.map(() => 1), k.map(() => 0).concat(k.map(() => 0)), undefined) : spatial(l, a.kernel, a.strides, a.pads, a.dilations);
      if (typeof sp === 'string') return sp;
      const C = xs[1]!;
      const rec: Rec = { ...base, ...sp, op: l.kind === 'QAveragePool' ? OPCODES.avgpool : OPCODES.maxpool, cpg: 1, groups: C, mpg: 1, d: sp.kh! * sp.kw!, gin: sp.hw!, gout: sp.plane!, lanePlane: sp.plane! };
      if (l.kind !== 'QAveragePool') return [rec];
      const q = l.attrs as unknown as QAveragePoolAttrs;
      if (!global) {
        // The engine applies the full window's digits: a clipped window (padding not counted) would need another 1/n.
        const { hp, wp } = windowPlan(q, xs, l.output.shape);
        const clipped = (ax: typeof hp, kk: number) => Array.from(ax.lo).some((lo, i) => (q.countIncludePad ? ax.padded[i]! : ax.hi[i]! - lo) !== kk);
        if (clipped(hp, sp.kh!) || clipped(wp, sp.kw!)) return 'average pooling over clipped windows';
      }
      let pos = 0, neg = 0;
      q.digits.forEach((dg, j) => { if (dg > 0) pos += 2 ** j; else if (dg < 0) neg += 2 ** j; });
      return [{ ...rec, csdPos: pos, csdNeg: neg, csdD: q.digits.length - 1, shift: q.shiftOut }];
    }
    case 'QAdd': {
      if (l.inputs[0]!.words !== l.output.words || l.inputs[1]!.words !== l.output.words) return 'broadcasting QAdd';
      const qa = l.qadd!;
      return [{ ...el, op: OPCODES.qadd, x2: l.inputs[1]!.addr, alignA: qa.alignA, alignB: qa.alignB, shift: qa.shift, lo: qa.lo, hi: qa.hi }];
    }
    case 'Requantize':
      return [{ ...el, op: OPCODES.requant, shift: a.shift, lo: a.actMin, hi: a.actMax }];
    case 'Relu':
      return [{ ...el, op: OPCODES.requant, lo: 0 }];
    case 'Lut':
      return [{ ...el, op: OPCODES.lut, lut: l.regions.lut!.base }];
    case 'Reshape':
    case 'Identity':
      return [{ ...el, op: OPCODES.requant }];
    case 'Concat': {
      if (a.axis !== 1 || x.shape[0] !== 1) return 'concat along an axis other than channels of one sample';
      let off = 0;
      return l.inputs.map((t) => { const r = { ...base, op: OPCODES.requant, x: t.addr, y: l.output.addr + off, n: t.words }; off += t.words; return r; });
    }
    default:
      void g;
      return `${l.kind}`;
  }
}

/** The program of a descriptor, or the first layer the engine cannot run and why. */
export function engineProgram(g: Graph, d: Descriptor): Program | { unsupported: string } {
  const words: number[] = [];
  const steps: Program['steps'] = [];
  for (const s of d.schedule) {
    const l = d.layers[s.layer]!;
    const recs = record(g, l, d.lanes);
    if (typeof recs === 'string') return { unsupported: `layer ${l.index} (${l.name}, ${l.kind}): ${recs}` };
    for (const r of recs) words.push(...FIELDS.map((f) => r[f] ?? 0));
    steps.push(...recs.map((_, k) => ({ layer: l.index, addr: l.output.addr, words: l.output.words, bits: l.output.bits, check: k === recs.length - 1 })));
  }
  words.push(...new Array<number>(RECORD_WORDS).fill(0));
  return { words, steps };
}
