// The `list` weight stream: per output channel, shift levels of 8-bit tap indices into a window buffer holding x and ~x.
import type { Tensor } from '../ir/tensor.js';

/**
 * The kernel copies an output's window (im2col) into pages of 256 elements: page pg holds taps
 * pg * P .. pg * P + P - 1 at 0..P-1 and their complements ~x = -x - 1 at H..H+P-1 (H = the half size:
 * D when one page holds every tap, else P). A tap index byte then reads +x or, for a subtracted term,
 * ~x; the -1 of every subtracted term is a compile-time constant per channel folded into the bias.
 * So a term is one byte and one add: LDRB idx; LDRSB v, [page, idx]; ADDS (Thumb-1 LDRSB is reg+reg).
 *
 * Stream of one channel (bytes): L, then L sublevels [d | pg << 4, n, n tap bytes], then the last shift.
 * The walk is Horner-style, a = (a << d) + sum of the sublevel's n reads from page pg: shl distributes
 * over modular addition, so a ends as the sum of every term shifted by its own shift (bit-exact) with
 * one shift per level. Levels come by decreasing shift; a level spanning pages, or of more than 255
 * taps, continues in sublevels with d = 0, and a shift step past 15 goes through empty sublevels.
 */
export interface ListStream {
  bytes: Uint8Array;
  /** Per channel: the constant the ~x reads leave out (sum over subtracted terms of 1 << shift), mod 2^32. */
  corr: Int32Array;
  /** Taps per page P and the half size H (complement offset within a page), pages of 256 elements. */
  tapsPerPage: number;
  half: number;
  pages: number;
  terms: number;
  sublevels: number;
}

/**
 * Packs codes [M, D, K] into the list stream, or returns null when the form does not apply: more than 16
 * pages, or a channel of more than 255 sublevels. `unit` taps stay on one page together (a conv input
 * channel's KH * KW window taps), so the im2col copy fills pages by whole channels.
 */
export function packLists(codes: Tensor, M: number, D: number, K: number, unit: number): ListStream | null {
  if (unit > 128) return null;
  const P = D <= 128 ? D : Math.floor(128 / unit) * unit;
  const pages = Math.ceil(D / P);
  if (pages > 16) return null;
  const H = pages === 1 ? D : P;
  const cd = codes.data;
  const out: number[] = [];
  const corr = new Int32Array(M);
  let terms = 0;
  let sublevels = 0;
  for (let m = 0; m < M; m++) {
    // Per shift: the tap bytes of each page.
    const lv = new Map<number, number[][]>();
    let c0 = 0;
    for (let t = 0; t < D; t++) {
      for (let k = 0; k < K; k++) {
        const c = cd[(m * D + t) * K + k]!;
        if (c === 0) continue;
        const sh = Math.abs(c) - 1;
        let pg = lv.get(sh);
        if (!pg) { pg = Array.from({ length: pages }, () => []); lv.set(sh, pg); }
        const p = Math.floor(t / P);
        pg[p]!.push((t - p * P) + (c < 0 ? H : 0));
        if (c < 0) c0 = (c0 + 2 ** sh) % 2 ** 32;
        terms++;
      }
    }
    corr[m] = c0 | 0;
    const shifts = [...lv.keys()].sort((a, b) => b - a);
    const subs: number[][] = [];
    let prev = shifts.length ? shifts[0]! : 0;
    for (const sh of shifts) {
      let d = prev - sh;
      while (d > 15) { subs.push([15, 0]); d -= 15; }
      let first = true;
      lv.get(sh)!.forEach((taps, p) => {
        for (let i = 0; i < taps.length; i += 255) {
          const chunk = taps.slice(i, i + 255);
          subs.push([(first ? d : 0) | (p << 4), chunk.length, ...chunk]);
          first = false;
        }
      });
      prev = sh;
    }
    if (subs.length > 255) return null;
    sublevels += subs.length;
    out.push(subs.length);
    for (const s of subs) out.push(...s);
    out.push(shifts.length ? prev : 0);
  }
  return { bytes: Uint8Array.from(out), corr, tapsPerPage: P, half: H, pages, terms, sublevels };
}
