// emitWasm: a lowered integer graph as one self-contained WebAssembly module (code, weights in data, one memory).
import { planArena, type NodePlanInfo } from '../../codegen/plan.js';
import { atNode, fail } from '../../diagnostics.js';
import type { Graph } from '../../ir/graph.js';
import { assertLowered } from '../../ir/interp-int.js';
import { shiftConst } from '../../ir/lowered.js';
import { DTYPE_BYTES, numel, type DType } from '../../ir/tensor.js';
import { ModuleWriter } from './encoder.js';
import { wasmKernel } from './kernels.js';
import { Bss, DataPool, Runtime } from './runtime.js';
import { adderScratch } from './adder.js';
import { shiftBss, shiftScratch } from './shift.js';

/** One graph input or output as the loader sees it: dtype, shape, frac, byte address in linear memory. */
export interface WasmIo { name: string; dtype: DType; shape: number[]; frac: number; addr: number; size: number }

export interface WasmModule {
  bytes: Uint8Array<ArrayBuffer>;
  inputs: WasmIo[];
  outputs: WasmIo[];
  memory: { arenaBytes: number; lowerBound: number; naiveBytes: number; totalBytes: number };
  /** Data segment bytes: packed shift-add term codes with their decode tables (`weightBytes`), and all constants together. */
  weightBytes: number;
  dataBytes: number;
  terms: number;
  ops: number;
}

const align16 = (n: number) => (n + 15) & ~15;

export interface EmitWasmOptions {
  /** 128-bit SIMD kernels (default false: the scalar module every engine runs). */
  simd?: boolean;
}

export function emitWasm(g: Graph, opts: EmitWasmOptions = {}): WasmModule {
  assertLowered(g);
  const isOut = new Set(g.outputs);
  const aliases = g.nodes.map((n) => (n.op.kind === 'Reshape' || n.op.kind === 'Identity') && !isOut.has(n.outputs[0]!));
  const info: NodePlanInfo[] = g.nodes.map((n, t) => {
    if (n.outputs.length !== 1) fail('SAC060', `${n.outputs.length} outputs (the WebAssembly backend supports single-output ops)`, atNode(n.name, n.op.kind));
    const shift = n.op.kind === 'ShiftConv' || n.op.kind === 'ShiftGemm';
    return { scratchBytes: shift ? shiftScratch(g, n) : n.op.kind === 'AdderConv' ? adderScratch(g, n) : 0, inPlace: ['Relu', 'Lut', 'QGateMul'].includes(n.op.kind), alias: aliases[t]! };
  });
  const plan = planArena(g, info);
  if (!g.inputs.length || !g.outputs.length) fail('SAC060', 'the graph needs at least one input and one output');
  // Memory: [16, ...) inputs, outputs, arena, what the start function decodes (bss), then the constants (data
  // segment); address 0 stays unused.
  // The plan places io values (and aliases of them) by element offset over all inputs (outputs): map it back.
  const io = (ids: readonly number[], start: number): { list: WasmIo[]; end: number; byOff: Map<number, number> } => {
    let at = start;
    let off = 0;
    const byOff = new Map<number, number>();
    const list = ids.map((id, k) => {
      const v = g.values[id]!;
      const size = numel(v.type.shape);
      const e = { name: v.name, dtype: v.type.dtype, shape: [...v.type.shape], frac: v.quant?.frac ?? 0, addr: at, size };
      byOff.set(off, k);
      off += size;
      at += size * DTYPE_BYTES[v.type.dtype];
      return e;
    });
    return { list, end: align16(at), byOff };
  };
  const ins = io(g.inputs, 16);
  const outs = io(g.outputs, ins.end);
  const arenaBase = outs.end;
  const bssBase = align16(arenaBase + plan.arenaBytes);
  const bss = new Bss(bssBase, g.nodes.reduce((p, n) => p + (n.op.kind === 'ShiftConv' || n.op.kind === 'ShiftGemm' ? shiftBss(g, n) : 0), 0));
  const data = new DataPool(align16(bssBase + bss.capacity));
  const w = new ModuleWriter();
  const rt = new Runtime(w);
  const init = w.func([], []);
  const constAddr = new Map<number, number>();
  const addr = (id: number): number => {
    const l = plan.loc[id]!;
    const v = g.values[id]!;
    switch (l.kind) {
      case 'in': return ins.list[ins.byOff.get(l.off)!]!.addr;
      case 'out': return outs.list[outs.byOff.get(l.off)!]!.addr;
      case 'buf': return arenaBase + plan.buffers[l.buf]!.offset;
      case 'const': {
        let a = constAddr.get(id);
        if (a === undefined) {
          const d = v.data!.data;
          a = data.add(new Uint8Array(d.buffer, d.byteOffset, d.byteLength).slice());
          constAddr.set(id, a);
        }
        return a;
      }
    }
  };
  // Graph inputs and outputs of different dtypes share one buffer each side in element offsets: keep byte addresses.
  const run = w.func([], []);
  let ops = 0;
  let terms = 0;
  g.nodes.forEach((node, t) => {
    if (aliases[t]) return;
    const fn = w.func([], []);
    const sc = plan.scratch[t]!;
    wasmKernel({ g, node, where: atNode(node.name, node.op.kind), code: fn.code, data, rt, addr, scratch: sc >= 0 ? arenaBase + plan.buffers[sc]!.offset : 0, simd: opts.simd ?? false, init: init.code, bss });
    run.code.call(fn.index); if (process.env.WASM_PROFILE) w.exportFunc(`n${t}`, fn.index);
    ops++;
    const codes = node.op.kind === 'ShiftConv' || node.op.kind === 'ShiftGemm' ? shiftConst(g, node, 'codes') : undefined;
    if (codes) {
      for (let i = 0; i < codes.data.length; i++) if (codes.data[i] !== 0) terms++;
    }
  });
  const bytes = data.bytes;
  const totalBytes = data.base + bytes.length;
  w.memory(totalBytes);
  w.exportMemory('memory');
  w.exportFunc('run', run.index);
  w.start(init.index);
  w.setData(data.base, bytes);
  return {
    bytes: w.encode(),
    inputs: ins.list,
    outputs: outs.list,
    memory: { arenaBytes: plan.arenaBytes, lowerBound: plan.lowerBound, naiveBytes: plan.naiveBytes, totalBytes },
    weightBytes: data.weightBytes,
    dataBytes: bytes.length,
    terms,
    ops,
  };
}
