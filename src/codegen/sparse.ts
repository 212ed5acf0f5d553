// Sparse shift-add weight streams: per channel, (sign, shift) buckets of tap indices (no zero terms stored).
import type { Tensor } from '../ir/tensor.js';

/** Largest bucket: the count field of a uint16 header has 10 bits. */
const MAX_BUCKET = 1023;

/**
 * Packs codes [M, D, K] into the two streams the C term walk reads (layout documented in NAME.h):
 * per channel a uint16 bucket count, then per (sign, shift) bucket a header `cnt << 6 | neg << 5 | sh`
 * and `cnt` tap indices. Zero codes (pruned weights, unused term slots) are not stored at all.
 * With `paged` (D > 256) buckets are also split by page t >> 8: the tap stream holds the page byte, then
 * one byte per tap (t & 255), so wide layers still spend 8 bits per term on the tap index.
 */
export function packCodes(codes: Tensor, M: number, D: number, K: number, paged = false): { hdr: number[]; taps: number[]; terms: number } {
  const cd = codes.data;
  const hdr: number[] = [];
  const taps: number[] = [];
  let terms = 0;
  for (let m = 0; m < M; m++) {
    // Key = (code + 64) * 256 + page: sorting keys orders buckets by code, then page (deterministic).
    const buckets = new Map<number, number[]>();
    for (let t = 0; t < D; t++) {
      for (let k = 0; k < K; k++) {
        const c = cd[(m * D + t) * K + k]!;
        if (c === 0) continue;
        terms++;
        const key = (c + 64) * 256 + (paged ? t >> 8 : 0);
        let b = buckets.get(key);
        if (!b) { b = []; buckets.set(key, b); }
        b.push(t);
      }
    }
    const chunks: { code: number; list: number[] }[] = [];
    for (const key of [...buckets.keys()].sort((a, b) => a - b)) {
      const list = buckets.get(key)!;
      for (let i = 0; i < list.length; i += MAX_BUCKET) chunks.push({ code: (key >> 8) - 64, list: list.slice(i, i + MAX_BUCKET) });
    }
    hdr.push(chunks.length);
    for (const { code, list } of chunks) {
      hdr.push((list.length << 6) | (code < 0 ? 32 : 0) | (Math.abs(code) - 1));
      if (paged) taps.push(list[0]! >> 8, ...list.map((t) => t & 255));
      else taps.push(...list);
    }
  }
  return { hdr, taps, terms };
}
