// The C backend behind the backend contract: its options, the files NAME.h / NAME.c / NAME_io.c, and the host runner.
import * as path from 'node:path';
import { fail, printable } from '../../diagnostics.js';
import type { Graph } from '../../ir/graph.js';
import type { Backend, EmitProgress, EmitResult } from '../contract.js';
import { emitC, type CEmitResult, type CTiling } from './emit.js';

import { hostCompiler } from './host.js';
import type { WeightForm } from './kernel.js';
import { buildHost, runHost } from './run.js';
import { haveCrossCompiler, measureSize } from './measure-size.js';
import { emittedSize, sizeLine, type CSize } from './size.js';

export interface CBackendOptions {
  /** C identifier prefixing the generated code. */
  name: string;
  weights: WeightForm;
  /** Host compiler command for the runner (default $CC, else cc). */
  cc?: string;
  /** Arena bytes the C must fit: early layers run in patches (--ram-budget, docs/c-tiling.md). */
  ramBudget?: number;
  /**
   * Measure flash and stack with arm-none-eabi-gcc (Cortex-M0 -Os, measure-size.ts): false never does; unset
   * does when that compiler is on PATH. The exact table bytes and the arena are always in stats.size.
   */
  measureSize?: boolean;
}

const FORMS: readonly WeightForm[] = ['auto', 'data', 'packed', 'code', 'list'];

/** C identifier derived from a model file name (lenet-v2.onnx -> lenet_v2), prefixing generated code. */
export function cName(model: string): string {
  return path.basename(model).replace(/\.onnx$/i, '').replace(/[^A-Za-z0-9_]/g, '_').replace(/^(?=\d)/, '_');
}

/** The command line's one-line summary of a C emission: the size figures, then how the terms are stored. */
export function cSummary(name: string, c: CEmitResult, size: CSize): string {
  const blob = c.weights ? `; ${c.weights.bin.length} bytes of tables in ${name}_weights.bin (assemble ${name}_weights.S beside it)` : '';
  return `${name}.c: ${sizeLine(size)}; arena lower bound ${c.memory.lowerBound} B; weight streams hold ${c.flash.terms - c.flash.codeTerms} terms (ideal ${c.flash.idealBytes} bytes), ${c.flash.codeTerms} terms as code${blob}${c.tiling ? `; ${tilingLine(c.tiling)}` : ''}`;
}

/** The exact size figures of a C emission, measured too when asked or when the cross compiler is there (not on failure). */
export function cSize(name: string, c: CEmitResult, measure?: boolean): CSize {
  const bin = c.weights?.bin.length ?? 0;
  const exact = emittedSize(c.source, c.memory.arenaBytes, bin);
  if (measure === false) return { ...exact, notMeasured: 'off' };
  if (!haveCrossCompiler()) return { ...exact, notMeasured: 'no compiler' };
  const weights = new Set(exact.tables.filter((t) => t.weights).map((t) => t.name));
  try {
    return { ...exact, measured: measureSize(name, c.header, c.source, bin, (s) => weights.has(s)) };
  } catch (e) {
    return { ...exact, notMeasured: `failed: ${(e as Error).message}` };
  }
}

/** What --ram-budget did, in one phrase: the arena it saved, the layers it tiled and their recompute. */
export function tilingLine(t: CTiling): string {
  if (!t.segments.length) return `--ram-budget ${t.budget}: the untiled arena (${t.untiledArenaBytes} bytes) fits, nothing tiled`;
  const segs = t.segments.map((s) => `${s.nodes.length} layers from '${printable(s.nodes[0]!, 60)}' in ${s.tiles} patches of ${s.patch.join('x')}`).join(', ');
  return `--ram-budget ${t.budget}: arena ${t.untiledArenaBytes} bytes untiled; tiled ${segs}; halo recompute +${(100 * t.extraWork).toFixed(1)}% work${t.unpacked ? '; data streams instead of packed ones (their decode scratch did not fit)' : ''}`;
}

function emit(g: Graph, o: CBackendOptions, onProgress?: EmitProgress): EmitResult {
  const c = emitC(g, { name: o.name, weights: o.weights, ...(onProgress ? { onProgress } : {}), ...(o.ramBudget === undefined ? {} : { ramBudget: o.ramBudget }) });
  const f = c.flash;
  // Compiling NAME.c for Cortex-M0 takes about a second per 300 KB of C: a stage of its own in the progress line.
  onProgress?.('measure size', 0, 1);
  const size = cSize(o.name, c, o.measureSize);
  return {
    files: [
      { name: `${o.name}.h`, data: c.header }, { name: `${o.name}.c`, data: c.source }, { name: `${o.name}_io.c`, data: c.io },
      ...(c.weights ? [{ name: `${o.name}_weights.S`, data: c.weights.asm }, { name: `${o.name}_weights.bin`, data: c.weights.bin }] : []),
    ],
    stats: { memory: c.memory, weightBytes: f.weightBytes, idealBytes: f.idealBytes, paramBytes: f.paramBytes, terms: f.terms, codeTerms: f.codeTerms, ops: c.ops, size, ...(c.tiling ? { tiling: c.tiling } : {}) },
    summary: cSummary(o.name, c, size),
  };
}

/**
 * `compile --target c` without --terms/--avg-terms: at most 2 terms a weight, 0.9 on average, allocated by
 * output error (allocate-terms). Measured against a TFLite-style int8 CMSIS-NN build of the four examples
 * (bench/results/mcu-vs-cmsis.txt): top-1 within 0.1 points of it, and the C is smaller and faster.
 */
export const C_DEFAULT_AVG_TERMS = 0.9;

export const cBackend: Backend<CBackendOptions> = {
  name: 'c',
  defaultAvgTerms: C_DEFAULT_AVG_TERMS,
  description: 'C99 for MCUs: NAME.h, NAME.c, NAME_io.c (and NAME_weights.S/.bin past 2^26 constants)',
  options: [
    { key: 'name', flag: '--name <name>', use: 'both', description: 'C identifier prefixing the generated code (default: the model file name)' },
    {
      key: 'weights', flag: '--weights <form>', use: 'both', default: 'auto',
      description: 'C shift-add weights: auto (code for convolutions of few terms per output channel, such as first and depthwise ones; byte lists for the other convolutions; data for Gemm), list (byte lists for every convolution), data (dense/sparse streams), packed (Huffman-coded streams, smallest flash) or code (every layer unrolled, largest)',
    },
    { key: 'cc', flag: '--cc <command>', use: 'run', description: 'host C compiler for --backend c (default: $CC, else cc)' },
    {
      key: 'measureSize', flag: '--no-measure-size', use: 'emit',
      description: 'do not compile NAME.c with arm-none-eabi-gcc (Cortex-M0 -Os) to measure its code, flash and stack for the report (default: measured when that compiler is on PATH; the table bytes and arena are exact either way)',
    },
    {
      key: 'ramBudget', flag: '--ram-budget <bytes>', use: 'both',
      description: 'C arena bytes to fit: early layers run in patches with recomputed halos (default: no budget); a budget no tiling meets fails SAC066 with the smallest one that works',
    },
  ],
  parseOptions(v, ctx) {
    const weights = (v.weights ?? 'auto') as WeightForm;
    if (!FORMS.includes(weights)) fail('SAC040', `--weights must be auto, data, packed, code or list (got '${v.weights}')`);
    const name = v.name ?? cName(ctx.model ?? 'model');
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) fail('SAC040', `--name '${name}' is not a C identifier`);
    const budget = v.ramBudget === undefined ? undefined : Number(v.ramBudget);
    if (budget !== undefined && !(/^\d+$/.test(v.ramBudget!) && budget > 0 && budget <= 2 ** 31)) fail('SAC040', `--ram-budget must be a positive number of bytes (got '${v.ramBudget}')`);
    return { name, weights, ...(v.cc === undefined ? {} : { cc: v.cc }), ...(budget === undefined ? {} : { ramBudget: budget }), ...(v.measureSize === 'false' ? { measureSize: false } : {}) };
  },
  emit,
  runDescription: 'the generated C built by --cc, $CC or cc at -O2, cached in $SHIFTADDC_CACHE, else $XDG_CACHE_HOME/shiftaddc or ~/.cache/shiftaddc',
  checkRun(o) {
    hostCompiler(o.cc);
  },
  run(g, inputs, o, onInfo) {
    const p = buildHost(g, { name: o.name, weights: o.weights, ...(o.cc === undefined ? {} : { cc: o.cc }), ...(o.ramBudget === undefined ? {} : { ramBudget: o.ramBudget }) });
    const how = p.cached ? 'cached' : 'built';
    onInfo?.({ line: `C program ${p.path} (${how})`, label: `generated C, ${how} ${p.path}`, json: { program: p.path, cached: p.cached } });
    return runHost(p, inputs);
  },
};
