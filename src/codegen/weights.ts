// A shift-add layer's weight stream chosen and packed from its codes, and its flash accounting computed from that data.
import type { Tensor } from '../ir/tensor.js';
import { packDense } from './dense.js';
import { packPacked, slotTableBytes, type PackedStream } from './packed.js';
import { packCodes, type TapArray } from './sparse.js';

/** Geometry of a layer's codes [M, D, K]: output channels, taps per channel, term slots, shift bits B. */
export interface LayerShape { M: number; D: number; K: number; B: number }

/** Flash accounting of one shift-add layer: its stream vs the ideal (1 + B) bits per non-zero term. */
export interface WeightStats {
  /**
   * Stream walked at run time (`sparse` buckets or `dense` codes), `packed` (Huffman codes decoded per channel),
   * or `code`: one function per channel (weightBytes 0, the terms are in the program text).
   */
  form: 'sparse' | 'dense' | 'packed' | 'code' | 'list';
  /** Non-zero terms (pruned weights and unused term slots store nothing). */
  terms: number;
  /** Bytes of the header + tap streams and the tap offset table. */
  weightBytes: number;
  /** terms * (1 + B) bits, rounded up to bytes: what a dense bit-packed code stream would need. */
  idealBytes: number;
  /** Packed form: the Huffman decode tables (count and symbol bytes), included in weightBytes. */
  tableBytes?: number;
  /** Dense form: K fields of 1 + B bits for every weight (termless ones included), in bytes. */
  slotBytes?: number;
  /** Bias (int32) and per-channel requantisation shift (int8) bytes, and the channel gain digits. */
  paramBytes: number;
}

/** Bytes of the smallest unsigned integer holding 0..max (the element of an index or offset table). */
export const uintBytes = (max: number): number => (max < 256 ? 1 : max < 65536 ? 2 : 4);

/** The tap offset table of a convolution's stream walk, or null when tap t reads offset t (no table needed). */
export function tapTable(tapOff: readonly number[] | null): { offsets: readonly number[]; max: number; entryBytes: number } | null {
  if (!tapOff || tapOff.every((o, t) => o === t)) return null;
  const max = Math.max(...tapOff);
  return { offsets: tapOff, max, entryBytes: uintBytes(max) };
}

/** A data stream: dense (1 + B)-bit fields, or sparse buckets (`paged` past 256 taps: a page byte, then one byte per tap). */
export type DataStream =
  | { form: 'dense'; words: Uint16Array; slots: number; zero?: number; shiftBits: number }
  | { form: 'sparse'; hdr: Uint16Array; taps: TapArray; paged: boolean; tapBytes: number };

/** A layer's packed weights: the stream, its tap offset table and the flash accounting of both. */
export interface LayerWeights<S> {
  stream: S;
  table: ReturnType<typeof tapTable>;
  stats: WeightStats;
}

const ideal = (terms: number, B: number) => Math.ceil((terms * (1 + B)) / 8);

/** Options of a stream: the conv tap offsets (null: tap t is input t) and the channel gain bytes (parameters). */
export interface StreamOptions { tapOff: readonly number[] | null; gainBytes: number }

const tableBytesOf = (t: ReturnType<typeof tapTable>) => (t ? t.offsets.length * t.entryBytes : 0);

/** A layer's codes as a data stream: dense when every slot can be filled and that is not larger than sparse buckets. */
export function packDataLayer(codes: Tensor, s: LayerShape, o: StreamOptions): LayerWeights<DataStream> {
  const { M, D, K, B } = s;
  const table = tapTable(o.tapOff);
  const paramBytes = M * 5 + o.gainBytes;
  // Paging needs D <= 65536 (one page byte); beyond that taps are plain uint32 indices.
  const paged = D > 256 && D <= 65536;
  const { hdr, taps, terms } = packCodes(codes, M, D, K, paged);
  const tapBytes = paged ? 1 : uintBytes(D - 1);
  // A K = 1 layer whose termless weights find no unused (1 + B)-bit field gets one more shift bit, which frees
  // half the fields for the zero marker: lenet fc1 at --terms 1 then takes 30 KB dense instead of 58 KB sparse.
  let shiftBits = B;
  let dense = packDense(codes, M, D, K, B);
  if (dense === null && K === 1) { shiftBits = B + 1; dense = packDense(codes, M, D, K, shiftBits); }
  const sparseBytes = hdr.length * 2 + taps.length * tapBytes;
  if (dense !== null && dense.words.length * 2 <= sparseBytes) {
    return {
      stream: { form: 'dense', ...dense, shiftBits },
      table,
      stats: { form: 'dense', terms, weightBytes: dense.words.length * 2 + tableBytesOf(table), idealBytes: ideal(terms, B), slotBytes: ideal(dense.slots, shiftBits), paramBytes },
    };
  }
  return {
    stream: { form: 'sparse', hdr, taps, paged, tapBytes },
    table,
    stats: { form: 'sparse', terms, weightBytes: sparseBytes + tableBytesOf(table), idealBytes: ideal(terms, B), paramBytes },
  };
}

/** A layer's codes Huffman-coded (see packPacked); its decode tables count as weight bytes. */
export function packPackedLayer(codes: Tensor, s: LayerShape, o: StreamOptions): LayerWeights<PackedStream> {
  const table = tapTable(o.tapOff);
  const pk = packPacked(codes, s.M, s.D, s.K, s.B);
  const huff = pk.slots.reduce((p, sl) => p + slotTableBytes(sl), 0);
  return {
    stream: pk,
    table,
    stats: { form: 'packed', terms: pk.terms, weightBytes: pk.words.length * 2 + huff + tableBytesOf(table), idealBytes: ideal(pk.terms, s.B), tableBytes: huff, paramBytes: s.M * 5 + o.gainBytes },
  };
}

/** A layer whose weights become code (its `terms` counted from the channel functions): no stream; a shift byte per channel. */
export function codeStats(terms: number, s: Pick<LayerShape, 'M' | 'B'>): WeightStats {
  return { form: 'code', terms, weightBytes: 0, idealBytes: ideal(terms, s.B), paramBytes: s.M };
}

/** Totals over layers; `codeTerms` of the terms are code (in neither weightBytes nor idealBytes). */
export function weightTotals(layers: readonly WeightStats[]): { terms: number; codeTerms: number; weightBytes: number; idealBytes: number; paramBytes: number } {
  const sum = (k: 'terms' | 'weightBytes' | 'idealBytes' | 'paramBytes', form?: 'code' | 'data') =>
    layers.reduce((p, l) => p + (!form || (l.form === 'code') === (form === 'code') ? l[k] : 0), 0);
  return { terms: sum('terms'), codeTerms: sum('terms', 'code'), weightBytes: sum('weightBytes'), idealBytes: sum('idealBytes', 'data'), paramBytes: sum('paramBytes') };
}
