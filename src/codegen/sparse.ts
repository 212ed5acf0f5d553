// Sparse shift-add weight streams: per channel, (sign, shift) buckets of tap indices (no zero terms stored).
import type { Tensor } from '../ir/tensor.js';

/** Largest bucket: the count field of a uint16 header has 10 bits. */
const MAX_BUCKET = 1023;

/** Typed tap stream: bytes when paged or D <= 256, else the smallest unsigned type holding D - 1. */
export type TapArray = Uint8Array | Uint16Array | Uint32Array;

/** Per channel: the non-empty (code, page) buckets in stream order and their sizes (keys sorted, counts by key). */
interface ChannelBuckets { keys: number[]; count: Int32Array }

/** Key = (code + 64) * 256 + page: sorting keys orders buckets by code, then page (deterministic). */
function bucketsOf(cd: ArrayLike<number>, m: number, D: number, K: number, paged: boolean, b: ChannelBuckets): void {
  for (const key of b.keys) b.count[key] = 0;
  b.keys.length = 0;
  const base = m * D * K;
  for (let t = 0; t < D; t++) {
    for (let k = 0; k < K; k++) {
      const c = cd[base + t * K + k]!;
      if (c === 0) continue;
      const key = (c + 64) * 256 + (paged ? t >> 8 : 0);
      const n = b.count[key]!;
      if (n === 0) b.keys.push(key);
      b.count[key] = n + 1;
    }
  }
  b.keys.sort((x, y) => x - y);
}

/** Header entries (the count, then one per chunk of at most MAX_BUCKET taps) and tap stream entries of a channel. */
function channelSize(b: ChannelBuckets, paged: boolean): { hdr: number; taps: number } {
  let chunks = 0;
  let taps = 0;
  for (const key of b.keys) {
    const n = b.count[key]!;
    const c = Math.ceil(n / MAX_BUCKET);
    chunks += c;
    taps += n + (paged ? c : 0);
  }
  return { hdr: 1 + chunks, taps };
}

/**
 * Packs codes [M, D, K] into the two streams the C term walk reads (layout documented in NAME.h):
 * per channel a uint16 bucket count, then per (sign, shift) bucket a header `cnt << 6 | neg << 5 | sh`
 * and `cnt` tap indices. Zero codes (pruned weights, unused term slots) are not stored at all.
 * With `paged` (D > 256) buckets are also split by page t >> 8: the tap stream holds the page byte, then
 * one byte per tap (t & 255), so wide layers still spend 8 bits per term on the tap index.
 * Two passes (sizes, then contents) into typed arrays: a 100M-weight layer's streams hold 300M entries, far more
 * than a JS array of numbers should (8 bytes each; VGG-19's fc6 failed with 'Invalid array length').
 */
export function packCodes(codes: Tensor, M: number, D: number, K: number, paged = false): { hdr: Uint16Array; taps: TapArray; terms: number } {
  const cd = codes.data;
  const b: ChannelBuckets = { keys: [], count: new Int32Array(129 * 256) };
  let hdrLen = 0;
  let tapLen = 0;
  for (let m = 0; m < M; m++) {
    bucketsOf(cd, m, D, K, paged, b);
    const s = channelSize(b, paged);
    hdrLen += s.hdr;
    tapLen += s.taps;
  }
  const hdr = new Uint16Array(hdrLen);
  const taps: TapArray = paged || D <= 256 ? new Uint8Array(tapLen) : D <= 65536 ? new Uint16Array(tapLen) : new Uint32Array(tapLen);
  // Where each bucket's next tap goes, and how many more fit in its current chunk, by key.
  const at = new Int32Array(129 * 256);
  const left = new Int32Array(129 * 256);
  let h = 0;
  let p = 0;
  let terms = 0;
  for (let m = 0; m < M; m++) {
    bucketsOf(cd, m, D, K, paged, b);
    hdr[h++] = channelSize(b, paged).hdr - 1;
    // Lay out the chunks: headers now, tap slots reserved; a bucket's chunks are contiguous in the tap stream,
    // each preceded by its page byte when paged, so a bucket's taps fill its slots in t order.
    for (const key of b.keys) {
      const n = b.count[key]!;
      const code = (key >> 8) - 64;
      const page = key & 255;
      at[key] = p + (paged ? 1 : 0);
      left[key] = MAX_BUCKET;
      for (let i = 0; i < n; i += MAX_BUCKET) {
        const cnt = Math.min(MAX_BUCKET, n - i);
        hdr[h++] = (cnt << 6) | (code < 0 ? 32 : 0) | (Math.abs(code) - 1);
        if (paged) taps[p++] = page;
        p += cnt;
      }
    }
    const base = m * D * K;
    for (let t = 0; t < D; t++) {
      for (let k = 0; k < K; k++) {
        const c = cd[base + t * K + k]!;
        if (c === 0) continue;
        terms++;
        const key = (c + 64) * 256 + (paged ? t >> 8 : 0);
        // A full chunk: the next one starts after its page byte.
        let a = at[key]!;
        let l = left[key]!;
        if (l === 0) { l = MAX_BUCKET; if (paged) a++; }
        taps[a] = paged ? t & 255 : t;
        at[key] = a + 1;
        left[key] = l - 1;
      }
    }
  }
  return { hdr, taps, terms };
}
