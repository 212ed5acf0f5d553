// The hw runner: emits the engine's files, simulates every sample in Icarus Verilog, checks each layer, returns the outputs.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { memoryImages } from '../../codegen/images.js';
import { fail } from '../../diagnostics.js';
import type { Graph } from '../../ir/graph.js';
import { numel, tensor, type Tensor } from '../../ir/tensor.js';
import type { EmitFile } from '../contract.js';
import { buildDescriptor } from './descriptor.js';
import { engineFiles, expectedOutputs } from './engine-files.js';
import { MEMORIES } from './memories.js';
import { engineProgram, type Program } from './program.js';
import { buildSim, runSim } from './sim.js';
import { spramLayout, spramMisfit, type SpramLayout } from './spram.js';

/** Where the engine keeps activations and terms: block RAM, or the iCE40 UP5K's SPRAMs (hw/sa_act_mem.v, hw/sa_terms_mem.v). */
export type EngineMemory = 'bram' | 'spram';

/** Everything the testbench reads: memory images, program, check table, configuration. */
export function engineSetup(g: Graph, name: string, lanes: number, memory: EngineMemory = 'bram'): { files: EmitFile[]; prog: Program; spram?: SpramLayout } | { unsupported: string } {
  const { descriptor: d, memories } = buildDescriptor(g, name, lanes);
  const prog = engineProgram(g, d);
  if ('unsupported' in prog) return prog;
  const spram = memory === 'spram' ? spramLayout(memories.terms.width, memories.terms.words.length) : undefined;
  const misfit = spram && spramMisfit(spram, d.activation.depth);
  if (misfit) return { unsupported: `${name} in UP5K SPRAMs: ${misfit}` };
  const x = g.values[g.inputs[0]!]!;
  const files: EmitFile[] = MEMORIES.map((m) => ({ name: `${name}_${m}.hex`, data: memoryImages(memories[m].words, memories[m].width, `${name} ${m} memory`).hex }));
  files.push(...engineFiles(d, memories, prog, x.type.dtype === 'int16' ? 16 : 8, spram));
  return { files, prog, ...(spram ? { spram } : {}) };
}

/** Samples of a runner input along dim 0 (the graph declares one). */
function samples(g: Graph, t: Tensor): Tensor[] {
  const per = numel(g.values[g.inputs[0]!]!.type.shape);
  const n = t.data.length / per;
  return Array.from({ length: n }, (_, s) => tensor(t.dtype, g.values[g.inputs[0]!]!.type.shape, t.data.subarray(s * per, (s + 1) * per)));
}

export interface HwRunStats { cycles: number[]; layersChecked: number }

/** Simulates the engine on every sample; a layer differing from runInteger fails SAC062 naming it. */
export function simulate(g: Graph, inputs: readonly Tensor[], name: string, lanes: number, memory: EngineMemory = 'bram'): { outputs: Tensor[]; stats: HwRunStats } {
  if (g.inputs.length !== 1 || g.outputs.length !== 1) fail('SAC061', 'the hardware engine runs graphs with one input and one output');
  const setup = engineSetup(g, name, lanes, memory);
  if ('unsupported' in setup) return fail('SAC061', `the reference engine cannot run ${setup.unsupported}`);
  const { dir, sim } = buildSim(setup.files, setup.spram !== undefined);
  const out = g.values[g.outputs[0]!]!;
  const per = numel(out.type.shape);
  const xs = samples(g, inputs[0]!);
  const data: number[] = [];
  const cycles: number[] = [];
  let layersChecked = 0;
  try {
    xs.forEach((x, s) => {
    const input = `in${s}.hex`;
    const want = `want${s}.hex`;
    const exp = expectedOutputs(g, setup.prog, x);
    const bits = x.dtype === 'int16' ? 16 : 8;
    fs.writeFileSync(path.join(dir, input), memoryImages(x.data, bits, `sample ${s}`).hex);
    fs.writeFileSync(path.join(dir, want), exp.hex);
    const r = runSim(dir, sim, input, want);
    if (!(r.errors === 0) || r.output.length !== per) fail('SAC062', `the engine's output differs from runInteger on sample ${s}:\n${r.log.split('\n').filter((l) => l.startsWith('MISMATCH')).slice(0, 5).join('\n')}`);
    cycles.push(r.cycles);
    layersChecked = r.layers;
    data.push(...r.output);
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const shape = [xs.length * out.type.shape[0]!, ...out.type.shape.slice(1)];
  return { outputs: [tensor(out.type.dtype, shape, data)], stats: { cycles, layersChecked } };
}
