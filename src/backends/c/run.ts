// runC: runs a lowered graph through its generated C on the host (emit, cached build, samples over stdio).
import { fail } from '../../diagnostics.js';
import type { Graph } from '../../ir/graph.js';
import { sampleCount } from '../../ir/interp-float.js';
import { allocData, numel, type Tensor } from '../../ir/tensor.js';
import { ctype } from './cfmt.js';
import { emitC } from './emit.js';
import type { WeightForm } from './kernel.js';
import { buildC, cacheRoot, runBinary, writeSources } from './host.js';
import { macroPrefix } from './header.js';

export interface RunCOptions {
  /** C identifier of the generated code (default `model`); only names the files in the cache. */
  name?: string;
  /** Compiler command (default $CC, else `cc`). */
  cc?: string;
  /** Build cache folder (default: cacheRoot()). */
  cacheDir?: string;
  /** Compiler flags (default `-std=c99 -O2`). */
  flags?: readonly string[];
  /** Weight form of the generated C (default `auto`, see EmitCOptions). */
  weights?: WeightForm;
  /** Constant elements printed as C text before the large tables go into NAME_weights.bin (see EmitCOptions). */
  maxConstElements?: number;
  /** Arena bytes the generated C must fit (see EmitCOptions.ramBudget). */
  ramBudget?: number;
}

/** A host executable of one graph; `cached` says the build was reused rather than compiled now. */
export interface HostProgram { graph: Graph; path: string; cached: boolean }

/**
 * A stdio main around NAME_run. Modes: `run N` runs N samples of raw inputs from stdin and writes raw outputs;
 * `arena N` uses NAME_run_arena with a malloc'd arena of exactly NAME_ARENA_SIZE bytes filled with garbage (so
 * ASan catches overruns and no result may depend on zeroed memory); `float N` quantises float inputs with
 * NAME_io.c first and writes dequantised floats.
 */
export function stdioMain(name: string, inT: string, outT: string): string {
  const M = macroPrefix(name);
  return `#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "${name}.h"
static ${inT} in[${M}_INPUT_SIZE];
static ${outT} out[${M}_OUTPUT_SIZE];
static float fin[${M}_INPUT_SIZE];
static float fout[${M}_OUTPUT_SIZE];
int main(int argc, char **argv) {
  int n, k, rc;
  uint8_t *arena = (uint8_t *)malloc(${M}_ARENA_SIZE + 1);
  if (argc < 3 || !arena) return 2;
  n = atoi(argv[2]);
  for (k = 0; k < n; k++) {
    if (!strcmp(argv[1], "float")) {
      if (fread(fin, sizeof fin, 1, stdin) != 1) return 2;
      ${name}_quantize_input(fin, in);
    } else if (fread(in, sizeof in, 1, stdin) != 1) return 2;
    if (!strcmp(argv[1], "run")) rc = ${name}_run(in, out);
    else {
      memset(arena, 0xA5 ^ k, ${M}_ARENA_SIZE + 1);
      rc = ${name}_run_arena(in, out, arena);
    }
    if (rc) return 3;
    if (!strcmp(argv[1], "float")) {
      ${name}_dequantize_output(out, fout);
      fwrite(fout, sizeof fout, 1, stdout);
    } else fwrite(out, sizeof out, 1, stdout);
  }
  free(arena);
  return 0;
}
`;
}

/** Emits C for the graph and builds it with the stdio main (reused from the cache when nothing changed). */
export function buildHost(g: Graph, opts: RunCOptions = {}): HostProgram {
  const name = opts.name ?? 'model';
  const c = emitC(g, {
    name, weights: opts.weights,
    ...(opts.maxConstElements === undefined ? {} : { maxConstElements: opts.maxConstElements }),
    ...(opts.ramBudget === undefined ? {} : { ramBudget: opts.ramBudget }),
  });
  const io = (id: number) => ctype(g.values[id]!.type.dtype, `value '${g.values[id]!.name}'`);
  const src = writeSources(opts.cacheDir ?? cacheRoot(), name, {
    [`${name}.h`]: c.header, [`${name}.c`]: c.source, [`${name}_io.c`]: c.io,
    'main.c': stdioMain(name, io(g.inputs[0]!), io(g.outputs[0]!)),
    ...(c.weights ? { [`${name}_weights.S`]: c.weights.asm, [`${name}_weights.bin`]: c.weights.bin } : {}),
  });
  const bin = buildC(src, { cc: opts.cc, flags: opts.flags ?? ['-std=c99', '-O2'] });
  return { graph: g, ...bin };
}

const bytesOf = (t: Tensor) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);

/** Runs every sample in one process: inputs go in sample by sample, outputs are split and stacked like runInteger. */
export function runHost(p: HostProgram, inputs: readonly Tensor[]): Tensor[] {
  const g = p.graph;
  const reps = sampleCount(g, inputs);
  const feed = new Uint8Array(inputs.reduce((a, t) => a + t.data.byteLength, 0));
  let at = 0;
  for (let s = 0; s < reps; s++) {
    inputs.forEach((t, k) => {
      const per = numel(g.values[g.inputs[k]!]!.type.shape) * t.data.BYTES_PER_ELEMENT;
      feed.set(bytesOf(t).subarray(s * per, (s + 1) * per), at);
      at += per;
    });
  }
  const outs = g.outputs.map((id) => {
    const v = g.values[id]!;
    const per = numel(v.type.shape);
    const data = allocData(v.type.dtype, per * reps);
    const shape = v.type.shape.length ? [v.type.shape[0]! * reps, ...v.type.shape.slice(1)] : reps === 1 ? [] : [reps];
    return { dtype: v.type.dtype, shape, data, per: per * data.BYTES_PER_ELEMENT };
  });
  const sample = outs.reduce((a, o) => a + o.per, 0);
  const got = runBinary(p.path, ['run', String(reps)], feed);
  if (got.length !== sample * reps) fail('SAC063', `'${p.path}' wrote ${got.length} bytes, expected ${sample * reps}`);
  at = 0;
  for (let s = 0; s < reps; s++) {
    for (const o of outs) {
      // Copy into the typed array's own bytes: stdout data has no alignment guarantee for int16/int32 views.
      new Uint8Array(o.data.buffer, o.data.byteOffset + s * o.per, o.per).set(got.subarray(at, at + o.per));
      at += o.per;
    }
  }
  return outs.map(({ dtype, shape, data }) => ({ dtype, shape, data }));
}

/** Same tensors as runInteger(g, inputs), computed by the generated C compiled for the host. */
export function runC(g: Graph, inputs: readonly Tensor[], opts: RunCOptions = {}): Tensor[] {
  return runHost(buildHost(g, opts), inputs);
}
