// Shift-add term codes Huffman-packed in the data segment (codegen/packed.ts) and decoded by the start function.
import { packPacked } from '../../codegen/packed.js';
import type { Tensor } from '../../ir/tensor.js';
import { OP, type Code } from './encoder.js';
import type { Bss, DataPool, Runtime } from './runtime.js';

/** Bytes of one slot's decode record: constant flag, constant symbol, min length index, lim, off, sym addresses. */
const REC = 24;

/**
 * Stores codes [M, D, K] as the packed stream of `packPacked` (the C backend's packed form: per weight its
 * slot symbols, canonical Huffman per slot) and appends to `init` the call that decodes it into int8 codes at
 * a Bss address (returned). A weight's terms land in its first slots, zeros after: the same sum in any order.
 * Returns the data bytes spent (stream + tables) too.
 */
export function packedCodes(o: { data: DataPool; bss: Bss; rt: Runtime; init: Code }, codes: Tensor, M: number, D: number, K: number, B: number): { at: number; bytes: number } {
  const pk = packPacked(codes, M, D, K, B);
  const at = o.bss.alloc(M * D * K);
  const words = o.data.add(new Uint8Array(Uint16Array.from(pk.words).buffer), 2);
  let bytes = pk.words.length * 2;
  const recs: number[] = [];
  for (const s of pk.slots) {
    if ('constant' in s) { recs.push(1, s.constant, 0, 0, 0, 0); continue; }
    const lim = o.data.add(new Uint8Array(Uint16Array.from(s.lim).buffer), 2);
    const off = o.data.add(Uint8Array.from(s.off), 1);
    const sym = o.data.add(Uint8Array.from(s.syms), 1);
    bytes += s.lim.length * 3 + s.syms.length;
    recs.push(0, 0, s.min, lim, off, sym);
  }
  const rec = o.data.i32(recs);
  bytes += recs.length * 4;
  o.data.weightBytes += bytes;
  o.init.i32(words).i32(rec).i32(M * D).i32(K).i32(B).i32(at).call(unpackFunc(o.rt));
  return { at, bytes };
}

/**
 * unpack(words, recs, n, K, B, out): n weights of K int8 codes each. Per slot j the 16-bit window
 * v = next 16 stream bits (MSB first in uint16 words) gives the code length l + 1 as the first l >= min with
 * v <= lim[l] and the symbol sym[(off[l] + (v >> (15 - l))) & 255] (huffman.ts limitTables); symbol 0 ends
 * the weight, slot 0's symbol is 1 + (neg << B | sh), later ones 1 + (flip << 6 | (|prev| - |c| + 31)).
 */
function unpackFunc(rt: Runtime): number {
  return rt.once('unpack', 6, (c) => {
    const [words, recs, n, K, B, out] = [0, 1, 2, 3, 4, 5];
    const bit = c.local(); const prev = c.local(); const rec = c.local(); const o = c.local(); const sym = c.local();
    const wp = c.local(); const v = c.local(); const l = c.local(); const f = c.local(); const sg = c.local(); const mag = c.local();
    c.i32(0).set(bit).get(out).set(o);
    c.forN({ local: n }, () => {
      c.i32(0).set(prev).get(recs).set(rec);
      c.forN({ local: K }, (j) => {
        c.get(rec).load(4).if(() => { c.get(rec).load(4, 4).set(sym); }, () => {
          c.get(words).get(bit).i32(4).op(OP.shr_u).i32(1).op(OP.shl, OP.add).set(wp);
          c.get(wp).loadU(2).i32(16).op(OP.shl).get(wp).loadU(2, 2).op(OP.or).get(bit).i32(15).op(OP.and, OP.shl).i32(16).op(OP.shr_u).set(v);
          c.get(rec).load(4, 8).set(l);
          c.block(() => c.loop(() => {
            c.get(v).get(rec).load(4, 12).get(l).i32(1).op(OP.shl, OP.add).loadU(2).op(OP.le_u).brIf(1);
            c.bump(l, 1).br(0);
          }));
          c.get(bit).get(l).op(OP.add).i32(1).op(OP.add).set(bit);
          c.get(rec).load(4, 20);
          c.get(rec).load(4, 16).get(l).op(OP.add).loadU(1).get(v).i32(15).get(l).op(OP.sub, OP.shr_u, OP.add).i32(255).op(OP.and);
          c.op(OP.add).loadU(1).set(sym);
        });
        // Symbol 0: no more terms in this weight (leave the inner loop; its block is depth 1 here).
        c.get(sym).op(OP.eqz).brIf(1);
        c.get(sym).i32(1).op(OP.sub).set(f);
        c.get(j).op(OP.eqz).if(() => {
          c.i32(0).get(f).get(B).op(OP.shr_u).op(OP.sub).set(sg);
          c.get(f).i32(1).get(B).op(OP.shl).i32(1).op(OP.sub, OP.and).i32(1).op(OP.add).set(mag);
        }, () => {
          c.get(prev).i32(31).op(OP.shr_s).set(sg);
          c.get(prev).get(sg).op(OP.xor).get(sg).op(OP.sub).get(f).i32(63).op(OP.and).i32(31).op(OP.sub).op(OP.sub).set(mag);
          c.get(sg).i32(0).get(f).i32(6).op(OP.shr_u).op(OP.sub).op(OP.xor).set(sg);
        });
        c.get(mag).get(sg).op(OP.xor).get(sg).op(OP.sub).set(prev);
        c.get(o).get(j).op(OP.add).get(prev).store(1);
        c.bump(rec, REC);
      });
      c.get(o).get(K).op(OP.add).set(o);
    });
  }, false);
}
