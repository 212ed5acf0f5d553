// runWasm: runs a lowered graph through its emitted WebAssembly module in this process (WebAssembly API, no child).
import { fail } from '../../diagnostics.js';
import type { Graph } from '../../ir/graph.js';
import { sampleCount } from '../../ir/interp-float.js';
import { allocData, type Tensor } from '../../ir/tensor.js';
import { emitWasm, type WasmModule } from './emit.js';
import { simdProbe } from './probe.js';

/** An instantiated module: its memory and run export, with the io layout it was emitted with. */
export interface WasmInstance { module: WasmModule; memory: WebAssembly.Memory; run: () => void }

export function instantiate(m: WasmModule): WasmInstance {
  const inst = new WebAssembly.Instance(new WebAssembly.Module(m.bytes), {});
  const ex = inst.exports as { memory: WebAssembly.Memory; run: () => void };
  return { module: m, memory: ex.memory, run: ex.run };
}

const bytesOf = (t: Tensor) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);

/** Same tensors as runInteger(g, inputs), sample by sample through one instance; outputs are stacked like runInteger. */
export function runInstance(w: WasmInstance, g: Graph, inputs: readonly Tensor[]): Tensor[] {
  const m = w.module;
  const reps = sampleCount(g, inputs);
  inputs.forEach((t, k) => {
    const io = m.inputs[k];
    if (!io || t.dtype !== io.dtype) fail('SAC063', `input ${k} is ${t.dtype}, the module takes ${io?.dtype ?? 'no such input'}`);
  });
  const outs = m.outputs.map((o) => {
    const shape = o.shape.length ? [o.shape[0]! * reps, ...o.shape.slice(1)] : reps === 1 ? [] : [reps];
    return { dtype: o.dtype, shape, data: allocData(o.dtype, o.size * reps) };
  });
  for (let s = 0; s < reps; s++) {
    const mem = new Uint8Array(w.memory.buffer);
    inputs.forEach((t, k) => {
      const io = m.inputs[k]!;
      const per = io.size * t.data.BYTES_PER_ELEMENT;
      mem.set(bytesOf(t).subarray(s * per, (s + 1) * per), io.addr);
    });
    w.run();
    m.outputs.forEach((io, k) => {
      const o = outs[k]!;
      const per = io.size * o.data.BYTES_PER_ELEMENT;
      new Uint8Array(o.data.buffer, o.data.byteOffset + s * per, per).set(new Uint8Array(w.memory.buffer, io.addr, per));
    });
  }
  return outs;
}

/** Whether this engine validates the SIMD probe module (then the SIMD variant runs, as the loader decides). */
export function simdAvailable(): boolean {
  return WebAssembly.validate(simdProbe());
}

/** Emits, instantiates and runs: the same tensors as runInteger(g, inputs); `simd` defaults to what the engine supports. */
export function runWasm(g: Graph, inputs: readonly Tensor[], simd = simdAvailable()): Tensor[] {
  return runInstance(instantiate(emitWasm(g, { simd })), g, inputs);
}
