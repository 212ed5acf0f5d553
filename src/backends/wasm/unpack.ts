// Shift-add term codes Huffman-packed LSB-first in the data segment, decoded by the start function via lookup tables.
import { slotSymbol } from '../../codegen/packed.js';
import { canonical, codeLengths } from '../../codegen/huffman.js';
import type { Tensor } from '../../ir/tensor.js';
import { OP, type Code } from './encoder.js';
import type { Bss, DataPool, Runtime } from './runtime.js';

/**
 * One term slot's code: lookup table bits L (0 for a slot with one symbol: no stream bits), codes per length
 * 1..L, and per symbol in canonical order its table value (slot 0: the term code itself, 0 = no term; later
 * slots: +-(d + 32) with d = |previous| - |this| and the sign set when the sign flips, 0 = no more terms).
 */
interface SlotTable { L: number; counts: number[]; vals: number[]; code: Map<number, { len: number; bits: number }> }

export interface LsbPack { stream: Uint8Array; slots: SlotTable[] }

/** Longest code of a slot read in one table lookup: 2 codes fit the 25 bits an unaligned i32 load always gives. */
const MAX_L = 11;

/** Table value of slot j's symbol (see SlotTable). */
function slotValue(j: number, sym: number, B: number): number {
  if (sym === 0) return 0;
  const f = sym - 1;
  if (j === 0) return f >> B ? -((f & ((1 << B) - 1)) + 1) : (f & ((1 << B) - 1)) + 1;
  return ((f & 63) - 31 + 32) * (f >> 6 ? -1 : 1);
}

/** Packs by codes tensor and layer parameters (the Bss planner and the kernel both ask for a layer's pack). */
const memo = new WeakMap<Tensor, Map<string, LsbPack>>();

/**
 * The codes [M, D, K] of a layer as one LSB-first byte stream: per weight its slot symbols (codegen/packed.ts
 * slotSymbol: the packed C form's symbols), each in its slot's canonical Huffman code bit-reversed, so the
 * decoder indexes a table with the low bits of the window. Code lengths are limited to a table of 2^L entries,
 * L <= MAX_L and about a quarter of the slot's symbol count in entries (the table is filled at start-up).
 */
export function packLsb(codes: Tensor, M: number, D: number, K: number, B: number): LsbPack {
  const key = `${M},${D},${K},${B}`;
  const hit = memo.get(codes)?.get(key);
  if (hit) return hit;
  const cd = codes.data;
  const seqs: number[][] = [];
  const freq = Array.from({ length: K }, () => new Map<number, number>());
  for (let i = 0; i < M * D; i++) {
    const terms: number[] = [];
    for (let k = 0; k < K; k++) if (cd[i * K + k]) terms.push(cd[i * K + k]!);
    const s: number[] = [];
    for (let j = 0; j < K; j++) {
      s.push(slotSymbol(j ? terms[j - 1]! : 0, terms[j] ?? 0, B));
      freq[j]!.set(s[j]!, (freq[j]!.get(s[j]!) ?? 0) + 1);
      if (j >= terms.length) break;
    }
    seqs.push(s);
  }
  const slots = freq.map((f, j): SlotTable => {
    if (f.size <= 1) {
      const sym = [...f.keys()][0] ?? 0;
      return { L: 0, counts: [], vals: [slotValue(j, sym, B)], code: new Map([[sym, { len: 0, bits: 0 }]]) };
    }
    const uses = [...f.values()].reduce((a, b) => a + b, 0);
    const limit = Math.max(Math.ceil(Math.log2(f.size)), Math.min(MAX_L, Math.max(8, Math.ceil(Math.log2(uses)) - 2)));
    const c = canonical(codeLengths(f, limit));
    if (c.counts.length > MAX_L || c.counts.some((k) => k > 255)) throw new Error(`packLsb: slot ${j} code of ${c.counts.length} bits / ${f.size} symbols`);
    return { L: c.counts.length, counts: c.counts, vals: c.syms.map((s) => slotValue(j, s, B)), code: c.code };
  });
  const bytes: number[] = [];
  let acc = 0;
  let nbits = 0;
  for (const s of seqs) {
    s.forEach((v, j) => {
      const { len, bits } = slots[j]!.code.get(v)!;
      let rev = 0;
      for (let b = 0; b < len; b++) rev |= ((bits >> b) & 1) << (len - 1 - b);
      acc |= rev << nbits;
      nbits += len;
      while (nbits >= 8) { bytes.push(acc & 255); acc >>>= 8; nbits -= 8; }
    });
  }
  if (nbits) bytes.push(acc & 255);
  // Four zero bytes past the end: the decoder reads 32 bits at the byte of its bit position.
  bytes.push(0, 0, 0, 0);
  const p = { stream: Uint8Array.from(bytes), slots };
  if (!memo.has(codes)) memo.set(codes, new Map());
  memo.get(codes)!.set(key, p);
  return p;
}

/**
 * Bss bytes of a layer's decode: its output (int8 codes [M, D, K] in the scalar module, int32 weights [M, D] in
 * the SIMD one: the larger is reserved in both, which share one memory layout) and a uint16 table of 2^L
 * entries per slot.
 */
export function unpackBss(codes: Tensor, M: number, D: number, K: number, B: number): number {
  const p = packLsb(codes, M, D, K, B);
  return ((M * D * Math.max(K, 4) + 15) & ~15) + p.slots.reduce((a, s) => a + (((2 << s.L) + 15) & ~15), 0);
}

/**
 * Stores the stream and per slot its table description (L, counts, values: 1 + L + symbols bytes) in the data
 * segment and appends to `init` the table fills and the decode at a Bss address (returned): int8 codes [M, D, K]
 * (a weight's terms in its first slots, zeros after: Bss is zeroed; the same sum in any order), or with `weights`
 * (the SIMD module, whose kernels multiply) each weight's int32 value sum of +-2^(|c| - 1) [M, D].
 */
export function packedCodes(o: { data: DataPool; bss: Bss; rt: Runtime; init: Code }, codes: Tensor, M: number, D: number, K: number, B: number, weights = false): { at: number; bytes: number } {
  const p = packLsb(codes, M, D, K, B);
  const at = o.bss.alloc(M * D * Math.max(K, 4));
  const stream = o.data.add(p.stream, 1);
  let bytes = p.stream.length;
  const tables = p.slots.map((s) => {
    const desc = o.data.add(Uint8Array.from([s.L, ...s.counts, ...s.vals.map((v) => v & 255)]), 1);
    bytes += 1 + s.L + s.vals.length;
    const tbl = o.bss.alloc(2 << s.L);
    o.init.i32(desc).i32(tbl).call(tableFunc(o.rt));
    return { tbl, mask: (1 << s.L) - 1 };
  });
  o.data.weightBytes += bytes;
  o.init.i32(stream).i32(M * D).i32(at);
  for (const t of tables) o.init.i32(t.tbl).i32(t.mask);
  o.init.call(unpackFunc(o.rt, K, weights));
  return { at, bytes };
}

/**
 * fill(desc, tbl): the canonical code of the description at desc assigned shortest first, each code bit-reversed
 * r of length l filling tbl[r + k 2^l] (k < 2^(L - l)) with l << 8 | value: every L-bit window whose low l bits
 * are the code. L = 0 stores the single value.
 */
function tableFunc(rt: Runtime): number {
  return rt.once('huffTable', 2, (c) => {
    const [desc, tbl] = [0, 1];
    const L = c.local(); const vp = c.local(); const code = c.local(); const len = c.local(); const n = c.local();
    const rev = c.local(); const x = c.local(); const e = c.local(); const i = c.local(); const step = c.local(); const size = c.local();
    c.get(desc).loadU(1).set(L);
    c.get(L).op(OP.eqz).if(() => { c.get(tbl).get(desc).loadU(1, 1).store(2).op(OP.return); });
    c.i32(1).get(L).op(OP.shl).set(size);
    c.get(desc).i32(1).op(OP.add).get(L).op(OP.add).set(vp);
    c.i32(0).set(code);
    c.forN({ local: L }, (l) => {
      c.get(l).i32(1).op(OP.add).set(len);
      c.get(desc).get(l).op(OP.add).loadU(1, 1).set(n);
      c.i32(1).get(len).op(OP.shl).set(step);
      c.forN({ local: n }, () => {
        c.i32(0).set(rev).get(code).set(x);
        c.forN({ local: len }, () => {
          c.get(rev).i32(1).op(OP.shl).get(x).i32(1).op(OP.and, OP.or).set(rev);
          c.get(x).i32(1).op(OP.shr_u).set(x);
        });
        c.get(len).i32(8).op(OP.shl).get(vp).loadU(1).op(OP.or).set(e);
        c.get(rev).set(i);
        c.block(() => c.loop(() => {
          c.get(i).get(size).op(OP.ge_s).brIf(1);
          c.get(tbl).get(i).i32(1).op(OP.shl, OP.add).get(e).store(2);
          c.get(i).get(step).op(OP.add).set(i).br(0);
        }));
        c.bump(vp, 1).bump(code, 1);
      });
      c.get(code).i32(1).op(OP.shl).set(code);
    });
  }, false);
}

/**
 * unpackK(stream, n, out, tbl0, mask0, ..., tbl(K-1), mask(K-1)): n weights of K int8 codes. Per weight a 32-bit
 * load at the bit position's byte, shifted by its bit offset, gives 25 valid bits: two codes of at most MAX_L
 * bits, so it is reloaded every other slot. Entry e = tbl_j[window & mask_j]: length e >> 8, value the low byte
 * signed; value 0 ends the weight. Slot 0's value is the code; later ones give |c| = |prev| - (|v| - 32) and
 * the sign of prev flipped when v < 0 (branch-free: xor/sub with the sign masks).
 */
function unpackFunc(rt: Runtime, K: number, weights: boolean): number {
  return rt.once(`unpack${K}${weights ? 'w' : ''}`, 3 + 2 * K, (c) => {
    const [stream, n, out] = [0, 1, 2];
    const bit = c.local(); const win = c.local(); const e = c.local(); const v = c.local(); const prev = c.local();
    const s = c.local(); const ps = c.local(); const o = c.local(); const w = c.local();
    c.i32(0).set(bit).get(out).set(o);
    c.forN({ local: n }, () => {
      if (weights) c.i32(0).set(w);
      c.block(() => {
        for (let j = 0; j < K; j++) {
          if (j % 2 === 0) c.get(stream).get(bit).i32(3).op(OP.shr_u, OP.add).load(4).get(bit).i32(7).op(OP.and, OP.shr_u).set(win);
          else c.get(win).get(e).i32(8).op(OP.shr_u, OP.shr_u).set(win);
          c.get(3 + 2 * j).get(win).get(4 + 2 * j).op(OP.and).i32(1).op(OP.shl, OP.add).loadU(2).tee(e);
          c.i32(8).op(OP.shr_u).get(bit).op(OP.add).set(bit);
          c.get(e).i32(24).op(OP.shl).i32(24).op(OP.shr_s).tee(v).op(OP.eqz).brIf(0);
          if (j > 0) {
            // |c| = |prev| - |v| + 32, sign = sign(prev) ^ sign(v); then c = (|c| ^ sign) - sign.
            c.get(v).i32(31).op(OP.shr_s).set(s).get(prev).i32(31).op(OP.shr_s).set(ps);
            c.get(prev).get(ps).op(OP.xor).get(ps).op(OP.sub);
            c.get(v).get(s).op(OP.xor).get(s).op(OP.sub).op(OP.sub).i32(32).op(OP.add);
            c.get(s).get(ps).op(OP.xor).tee(s).op(OP.xor).get(s).op(OP.sub).set(v);
          }
          if (weights) {
            // w += sign(c) 2^(|c| - 1), as the scalar kernel's shift-add terms sum (mod 2^32).
            c.get(v).i32(31).op(OP.shr_s).set(s);
            c.get(w).i32(1).get(v).get(s).op(OP.xor).get(s).op(OP.sub).i32(1).op(OP.sub, OP.shl).get(s).op(OP.xor).get(s).op(OP.sub, OP.add).set(w);
          } else c.get(o).get(v).store(1, j);
          if (j < K - 1) c.get(v).set(prev);
        }
      });
      if (weights) c.get(o).get(w).store(4).bump(o, 4);
      else c.bump(o, K);
    });
  }, false);
}
