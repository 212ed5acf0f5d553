// Per layer descriptor records: the op, its tensors and addresses, and every amount the datapath needs.
import type { Graph, Node } from '../../ir/graph.js';
import type { Loc } from '../../codegen/plan.js';
import { numel } from '../../ir/tensor.js';
import { qaddShifts, type QAddAttrs } from '../../ir/ops/qadd.js';
import { clampHi, type ShiftAttrs } from '../../ir/ops/shift-common.js';
import type { Region, MemoryName } from './memories.js';
import type { AdderConvAttrs } from '../../ir/ops/adder-conv.js';
import { ADDER_OPERANDS } from '../../ir/lowered.js';

/** A tensor as the engine sees it: where it lives in the activation memory (word address) and its fixed-point form. */
export interface TensorDesc {
  value: string; shape: number[]; dtype: string; bits: number; frac: number; channelFracs?: number[];
  region: 'input' | 'arena' | 'output'; addr: number; words: number;
}

export interface LayerDesc {
  index: number; name: string; kind: string; op: string;
  inputs: TensorDesc[]; output: TensorDesc;
  /** The lowered op's attributes verbatim (plain data). */
  attrs: Record<string, unknown>;
  /** Derived amounts by op (shift layers: terms, window, widths, shifts, gain, saturation). */
  shift?: Record<string, unknown>;
  /** Adder layers: weight bits (on the input's grid), accumulator bound, shifts, gain digits, saturation. */
  adder?: Record<string, unknown>;
  qadd?: { alignA: number; alignB: number; shift: number; lo: number; hi: number };
  regions: Partial<Record<MemoryName, Region>>;
  cycles: number;
  alias: boolean;
}

/** Where in the activation memory: the arena from word 0, then the input region, then the output region. */
export interface ActLayout { arenaWords: number; inputBase: number; outputBase: number; bytesPerWord: number; bufOffset: (buf: number) => number }

export function tensorDesc(g: Graph, id: number, loc: Loc, lay: ActLayout): TensorDesc {
  const v = g.values[id]!;
  const bits = v.type.dtype === 'int16' ? 16 : v.type.dtype === 'int32' ? 32 : 8;
  const words = numel(v.type.shape);
  const at = loc.kind === 'in' ? { region: 'input' as const, addr: lay.inputBase + loc.off }
    : loc.kind === 'out' ? { region: 'output' as const, addr: lay.outputBase + loc.off }
      : { region: 'arena' as const, addr: loc.kind === 'buf' ? lay.bufOffset(loc.buf) : 0 };
  return {
    value: v.name, shape: [...v.type.shape], dtype: v.type.dtype, bits, frac: v.quant?.frac ?? 0,
    ...(v.quant?.channels ? { channelFracs: [...v.quant.channels] } : {}), ...at, words,
  };
}

const snake = (k: string) => k.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();

/** The op name of the descriptor: shift convs say grouped or depthwise. */
export function opName(g: Graph, n: Node): string {
  if (n.op.kind !== 'ShiftConv') return snake(n.op.kind);
  const group = (n.op.attrs as { group: number }).group;
  const C = g.values[n.inputs[0]!]!.type.shape[1]!;
  const M = g.values[n.inputs[1]!]!.type.shape[0]!;
  return group === 1 ? 'shift_conv' : group === C && M === C ? 'shift_conv_depthwise' : 'shift_conv_grouped';
}

/**
 * A shift layer's amounts: per channel c the exponent window top E_c = f_in + 2^B - 1 - F_c (F_c = r_c + f_out + d_c,
 * docs/numerics.md), the accumulator width the overflow bound needs, shifts, gain digit codes and saturation bounds.
 */
export function shiftAmounts(g: Graph, n: Node): Record<string, unknown> {
  const a = n.op.attrs as ShiftAttrs;
  const x = g.values[n.inputs[0]!]!;
  const out = g.values[n.outputs[0]!]!;
  const codes = g.values[n.inputs[1]!]!.data!;
  const bias = g.values[n.inputs[2]!]!.data!.data;
  const rshift = Array.from(g.values[n.inputs[3]!]!.data!.data);
  const gid = n.inputs[4];
  const gain = gid !== undefined && gid >= 0 ? g.values[gid]!.data! : undefined;
  const M = codes.shape[0]!;
  const per = numel(codes.shape) / M;
  const inBits = x.type.dtype === 'int16' ? 16 : 8;
  const fIn = x.quant?.frac ?? 0;
  const fOut = out.quant?.frac ?? 0;
  let accNeeded = 0;
  const top: number[] = [];
  for (let m = 0; m < M; m++) {
    let A = Math.abs(bias[m]!);
    for (let i = m * per; i < (m + 1) * per; i++) { const c = codes.data[i]!; if (c !== 0) A += 2 ** (inBits - 1 + Math.abs(c) - 1); }
    accNeeded = Math.max(accNeeded, Math.ceil(Math.log2(A + 1)) + 1);
    top.push(fIn + 2 ** a.shiftBits - 1 - (rshift[m]! + fOut + (out.quant?.channels?.[m] ?? 0)));
  }
  const G = gain ? gain.shape[1]! : 0;
  return {
    terms: a.terms, shiftBits: a.shiftBits,
    exponentWindow: { size: 2 ** a.shiftBits, top },
    bits: { activation: inBits, accumulator: 32, accumulatorNeeded: accNeeded, output: a.bits },
    rshift,
    gain: { digits: G, codes: gain ? Array.from({ length: M }, (_, m) => Array.from(gain.data.subarray(m * G, (m + 1) * G))) : [] },
    saturation: { lo: a.actMin, hi: Array.from({ length: M }, (_, m) => clampHi(a, m)) },
  };
}

/**
 * An adder layer's amounts (docs/numerics.md): acc = bias - sum |x - w| needs, per channel, the bits of
 * A_o = |bias_o| + sum over taps of max(w - lo, hi - w) plus a sign.
 */
export function adderAmounts(g: Graph, n: Node): Record<string, unknown> {
  const a = n.op.attrs as AdderConvAttrs;
  const x = g.values[n.inputs[ADDER_OPERANDS.x]!]!;
  const w = g.values[n.inputs[ADDER_OPERANDS.weights]!]!.data!;
  const bias = g.values[n.inputs[ADDER_OPERANDS.bias]!]!.data!.data;
  const gid = n.inputs[ADDER_OPERANDS.gain];
  const gain = gid !== undefined && gid >= 0 ? g.values[gid]!.data! : undefined;
  const inBits = x.type.dtype === 'int16' ? 16 : 8;
  const [lo, hi] = [-(2 ** (inBits - 1)), 2 ** (inBits - 1) - 1];
  const M = w.shape[0]!;
  const D = numel(w.shape) / M;
  let accNeeded = 0;
  for (let m = 0; m < M; m++) {
    let A = Math.abs(bias[m]!);
    for (let i = m * D; i < (m + 1) * D; i++) A += Math.max(w.data[i]! - lo, hi - w.data[i]!);
    accNeeded = Math.max(accNeeded, Math.ceil(Math.log2(A + 1)) + 1);
  }
  const G = gain ? gain.shape[1]! : 0;
  return {
    weightBits: inBits, taps: D,
    bits: { activation: inBits, accumulator: 32, accumulatorNeeded: accNeeded, output: a.bits },
    rshift: Array.from(g.values[n.inputs[ADDER_OPERANDS.rshift]!]!.data!.data),
    gain: { digits: G, codes: gain ? Array.from({ length: M }, (_, m) => Array.from(gain.data.subarray(m * G, (m + 1) * G))) : [] },
    saturation: { lo: a.actMin, hi: a.actMax },
  };
}

export function qaddAmounts(n: Node): LayerDesc['qadd'] {
  const a = n.op.attrs as QAddAttrs;
  const { sa, sb, r } = qaddShifts(a);
  return { alignA: sa, alignB: sb, shift: r, lo: a.actMin, hi: a.actMax };
}
