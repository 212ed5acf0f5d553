// Byte-level model mutations shared by the fuzz test and bench/fuzz (seeded, reproducible).
import { loadModel } from '../api.js';
import { ShiftaddcError } from '../diagnostics.js';
import { mulberry32 } from '../util/prng.js';

export { mulberry32 };

export type MutationKind = 'bitflip' | 'truncate' | 'insert' | 'overwrite' | 'duplicate';
const KINDS: MutationKind[] = ['bitflip', 'truncate', 'insert', 'overwrite', 'duplicate'];
const INTERESTING = [0x00, 0xff, 0x7f, 0x80, 0x01, 0x08, 0x10, 0x12, 0x1a, 0x22];

/** Returns a mutated copy of `bytes` and the mutation applied. */
export function mutate(bytes: Uint8Array, seed: number): { bytes: Uint8Array; kind: MutationKind } {
  const rnd = mulberry32(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const kind = KINDS[seed % KINDS.length]!;
  const out = Uint8Array.from(bytes);
  switch (kind) {
    case 'bitflip': {
      const flips = 1 + int(8);
      for (let i = 0; i < flips; i++) out[int(out.length)]! ^= 1 << int(8);
      return { bytes: out, kind };
    }
    case 'truncate':
      return { bytes: out.slice(0, int(out.length)), kind };
    case 'insert': {
      const at = int(out.length);
      const extra = Uint8Array.from({ length: 1 + int(16) }, () => int(256));
      const res = new Uint8Array(out.length + extra.length);
      res.set(out.subarray(0, at));
      res.set(extra, at);
      res.set(out.subarray(at), at + extra.length);
      return { bytes: res, kind };
    }
    case 'overwrite': {
      const n = 1 + int(4);
      for (let i = 0; i < n; i++) out[int(out.length)] = INTERESTING[int(INTERESTING.length)]!;
      return { bytes: out, kind };
    }
    case 'duplicate': {
      const from = int(out.length);
      const len = Math.min(1 + int(64), out.length - from);
      const at = int(out.length);
      const res = new Uint8Array(out.length + len);
      res.set(out.subarray(0, at));
      res.set(out.subarray(from, from + len), at);
      res.set(out.subarray(at), at + len);
      return { bytes: res, kind };
    }
  }
}

export type FuzzOutcome = { result: 'loaded' | 'diagnostic'; code?: string; ms: number } | { result: 'crash'; error: string; ms: number };

/** Loads mutated bytes; anything other than a graph or a ShiftaddcError is a crash. */
export function loadOutcome(bytes: Uint8Array): FuzzOutcome {
  const t0 = performance.now();
  try {
    loadModel(bytes);
    return { result: 'loaded', ms: performance.now() - t0 };
  } catch (e) {
    const ms = performance.now() - t0;
    if (e instanceof ShiftaddcError) return { result: 'diagnostic', code: e.code, ms };
    return { result: 'crash', error: (e as Error)?.stack ?? String(e), ms };
  }
}
