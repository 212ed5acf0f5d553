// The accelerator's parameter memories: term codes (P lanes per word), biases, shifts, gain digits, clamps, LUTs.
import { codeBits } from '../../codegen/energy.js';
import { packFields } from '../../codegen/images.js';
import type { Graph, Node } from '../../ir/graph.js';
import { numel } from '../../ir/tensor.js';
import { clampHi, type ShiftAttrs } from '../../ir/ops/shift-common.js';
import type { LutAttrs } from '../../ir/ops/lut.js';
import type { AdderConvAttrs } from '../../ir/ops/adder-conv.js';
import { ADDER_OPERANDS } from '../../ir/lowered.js';

export const MEMORIES = ['terms', 'bias', 'shift', 'gain', 'clamp', 'lut'] as const;
export type MemoryName = (typeof MEMORIES)[number];

/** A layer's slice of one memory: word address of its first word and its word count. */
export interface Region { memory: MemoryName; base: number; size: number }

export interface Memory { name: MemoryName; width: number; words: (number | bigint)[] }

/**
 * Word geometry shared by every shift and adder layer: lanes, term slots per weight, bits per code, gain digits per
 * channel, and the bits of an adder layer's weight (0 without adder layers; their weights share the term memory).
 */
export interface MemoryShape { lanes: number; terms: number; codeBits: number; gainDigits: number; weightBits: number }

export function memoryShape(g: Graph, lanes: number): MemoryShape {
  let terms = 1, B = 0, gainDigits = 1, weightBits = 0;
  for (const n of g.nodes) {
    const adder = n.op.kind === 'AdderConv';
    if (n.op.kind !== 'ShiftConv' && n.op.kind !== 'ShiftGemm' && !adder) continue;
    if (adder) weightBits = Math.max(weightBits, g.values[n.inputs[ADDER_OPERANDS.weights]!]!.type.dtype === 'int16' ? 16 : 8);
    else {
      const a = n.op.attrs as ShiftAttrs;
      terms = Math.max(terms, a.terms);
      B = Math.max(B, a.shiftBits);
    }
    const gain = n.inputs[4];
    if (gain !== undefined && gain >= 0) gainDigits = Math.max(gainDigits, g.values[gain]!.type.shape[1]!);
  }
  return { lanes, terms, codeBits: codeBits(B), gainDigits, weightBits };
}

/** Widths of the memories' words for a shape: a term word holds a lane's K codes or its adder weight. */
export function memoryWidths(s: MemoryShape): Record<MemoryName, number> {
  return { terms: s.lanes * Math.max(s.terms * s.codeBits, s.weightBits), bias: 32, shift: 8, gain: 8 * s.gainDigits, clamp: 16, lut: 8 };
}

/** Appends layers' parameters to the memories, returning each layer's regions. */
export class MemoryBuilder {
  readonly memories: Record<MemoryName, Memory>;
  constructor(readonly shape: MemoryShape) {
    const w = memoryWidths(shape);
    this.memories = Object.fromEntries(MEMORIES.map((m) => [m, { name: m, width: w[m], words: [] }])) as unknown as Record<MemoryName, Memory>;
  }

  private put(name: MemoryName, words: readonly (number | bigint)[]): Region {
    const m = this.memories[name];
    const base = m.words.length;
    m.words.push(...words);
    return { memory: name, base, size: words.length };
  }

  /**
   * A shift layer: per conv group, per group of P output channels (lanes), per tap (input channel, kernel row,
   * kernel column: the codes' order) one word holding lane j's K codes at fields j * K .. j * K + K - 1.
   */
  shiftLayer(g: Graph, n: Node): Partial<Record<MemoryName, Region>> {
    const a = n.op.attrs as ShiftAttrs & { group?: number };
    const codes = g.values[n.inputs[1]!]!.data!;
    const M = codes.shape[0]!;
    const K = a.terms;
    const D = numel(codes.shape) / (M * K);
    const groups = a.group ?? 1;
    const mPerG = M / groups;
    const { lanes: P, terms: KMax, codeBits: cb } = this.shape;
    const words: bigint[] = [];
    for (let gr = 0; gr < groups; gr++) {
      for (let q = 0; q < mPerG; q += P) {
        for (let d = 0; d < D; d++) {
          const fields = new Array<number>(P * KMax).fill(0);
          for (let j = 0; j < P && q + j < mPerG; j++) {
            const m = gr * mPerG + q + j;
            for (let k = 0; k < K; k++) fields[j * KMax + k] = codes.data[(m * D + d) * K + k]!;
          }
          words.push(packFields(fields, cb));
        }
      }
    }
    return { terms: this.put('terms', words), ...this.channels(g, n, M, (m) => clampHi(a, m)) };
  }

  /**
   * An adder layer: the same word order as a shift layer's (group, lane group, tap), lane j's weight (on the input's
   * grid) in field j of weightBits bits; its channels clamp at actMax, as the interpreter's kernel does.
   */
  adderLayer(g: Graph, n: Node): Partial<Record<MemoryName, Region>> {
    const a = n.op.attrs as AdderConvAttrs;
    const w = g.values[n.inputs[ADDER_OPERANDS.weights]!]!.data!;
    const M = w.shape[0]!;
    const D = numel(w.shape) / M;
    const mPerG = M / a.group;
    const { lanes: P, weightBits } = this.shape;
    const words: bigint[] = [];
    for (let gr = 0; gr < a.group; gr++) {
      for (let q = 0; q < mPerG; q += P) {
        for (let d = 0; d < D; d++) {
          const fields = new Array<number>(P).fill(0);
          for (let j = 0; j < P && q + j < mPerG; j++) fields[j] = w.data[(gr * mPerG + q + j) * D + d]!;
          words.push(packFields(fields, weightBits));
        }
      }
    }
    return { terms: this.put('terms', words), ...this.channels(g, n, M, () => a.actMax) };
  }

  /** Per output channel: bias, requantising shift, gain digits (when the layer has them) and upper clamp. */
  private channels(g: Graph, n: Node, M: number, hi: (m: number) => number): Partial<Record<MemoryName, Region>> {
    const { gainDigits: G } = this.shape;
    const regions: Partial<Record<MemoryName, Region>> = {};
    regions.bias = this.put('bias', Array.from(g.values[n.inputs[2]!]!.data!.data));
    regions.shift = this.put('shift', Array.from(g.values[n.inputs[3]!]!.data!.data));
    const gid = n.inputs[4];
    if (gid !== undefined && gid >= 0) {
      const gain = g.values[gid]!.data!;
      const Gl = gain.shape[1]!;
      regions.gain = this.put('gain', Array.from({ length: M }, (_, m) => packFields(Array.from({ length: G }, (_, j) => (j < Gl ? gain.data[m * Gl + j]! : 0)), 8)));
    }
    regions.clamp = this.put('clamp', Array.from({ length: M }, (_, m) => hi(m)));
    return regions;
  }

  lut(n: Node): Partial<Record<MemoryName, Region>> {
    return { lut: this.put('lut', [...(n.op.attrs as LutAttrs).table]) };
  }
}
