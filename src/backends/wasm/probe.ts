// The SIMD probe: a minimal module whose one function uses a v128 instruction; WebAssembly.validate() on it says SIMD works.
import { ModuleWriter, V128 } from './encoder.js';

/** Bytes of () -> v128 { i8x16.splat(0) }: valid exactly where fixed-width 128-bit SIMD is supported. */
export function simdProbe(): Uint8Array<ArrayBuffer> {
  const w = new ModuleWriter();
  const f = w.func([], [V128]);
  f.code.i32(0).simd(0x0f);
  return w.encode();
}
