// The hardware backend: descriptor.json + schema, memory images (.hex/.coe/.mif), NAME_params.vh, test vectors, energy.
import * as fs from 'node:fs';
import { loweredEnergy } from '../../codegen/energy.js';
import { energyMarkdown } from '../../codegen/energy-md.js';
import { memoryImages } from '../../codegen/images.js';
import { fail } from '../../diagnostics.js';
import type { Graph } from '../../ir/graph.js';
import { readNpy } from '../../io/npy.js';
import type { Backend, EmitFile, EmitResult } from '../contract.js';
import * as path from 'node:path';
import { buildDescriptor } from './descriptor.js';
import { engineEnergy, engineEnergyMarkdown } from './engine-energy.js';
import { MEMORIES } from './memories.js';
import { paramsVh } from './params.js';
import { DESCRIPTOR_SCHEMA } from './schema.js';
import { engineFiles, expectedOutputs } from './engine-files.js';
import { engineProgram } from './program.js';
import { simulate, type EngineMemory } from './run.js';
import { spramLayout, spramMisfit } from './spram.js';
import { checkIverilog } from './sim.js';
import { testVectors, vectorInputs } from './vectors.js';

export interface HwBackendOptions {
  /** Identifier prefixing the generated files and localparams. */
  name: string;
  /** Lanes P: output channels a shift layer computes in parallel. */
  lanes: number;
  /** Float inputs (.npy) for the test vectors (default: the calibration file), and how many samples to take. */
  vectors?: string;
  vectorCount: number;
  /** Where the engine keeps activations and terms: block RAM, or the iCE40 UP5K's SPRAMs (terms loaded by the host). */
  memory: EngineMemory;
}

/** Identifier from a model file name (lenet-v2.onnx -> lenet_v2). */
const idName = (model: string) => path.basename(model).replace(/\.onnx$/i, '').replace(/[^A-Za-z0-9_]/g, '_').replace(/^(?=\d)/, '_');

const int = (v: string | undefined, dflt: number, flag: string, lo: number, hi: number): number => {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < lo || n > hi) fail('SAC040', `${flag} must be an integer in [${lo}, ${hi}] (got '${v}')`);
  return n;
};

function emit(g: Graph, o: HwBackendOptions): EmitResult {
  const { descriptor: d, memories } = buildDescriptor(g, o.name, o.lanes);
  const files: EmitFile[] = [
    { name: 'descriptor.json', data: `${JSON.stringify(d, null, 1)}\n` },
    { name: 'descriptor.schema.json', data: `${JSON.stringify(DESCRIPTOR_SCHEMA, null, 2)}\n` },
    { name: `${o.name}_params.vh`, data: paramsVh(d) },
  ];
  for (const m of MEMORIES) {
    const img = memoryImages(memories[m].words, memories[m].width, `${o.name} ${m} memory`);
    files.push({ name: `${o.name}_${m}.hex`, data: img.hex }, { name: `${o.name}_${m}.coe`, data: img.coe }, { name: `${o.name}_${m}.mif`, data: img.mif });
  }
  // The engine's program and testbench files, when the reference engine runs every layer (else the summary says why not).
  const prog = engineProgram(g, d);
  const x = g.values[g.inputs[0]!]!;
  const spram = o.memory === 'spram' ? spramLayout(memories.terms.width, memories.terms.words.length) : undefined;
  const misfit = spram && spramMisfit(spram, d.activation.depth);
  if (misfit) fail('SAC040', `--memory spram: ${o.name} does not fit an iCE40 UP5K: ${misfit}`, undefined, 'use --memory bram (a UP5K has four 16K x 16 SPRAMs: one for the activations, three for the terms)');
  if (!('unsupported' in prog)) files.push(...engineFiles(d, memories, prog, x.type.dtype === 'int16' ? 16 : 8, spram));
  if (o.vectors) {
    const bytes = fs.existsSync(o.vectors) ? fs.readFileSync(o.vectors) : fail('SAC001', `test vector file '${o.vectors}' does not exist`);
    const xs = vectorInputs(g, readNpy(new Uint8Array(bytes), `vectors '${o.vectors}'`), o.vectorCount);
    files.push(...testVectors(g, o.name, xs));
    if (!('unsupported' in prog)) xs.forEach((v, s) => files.push({ name: `${o.name}_tv${s}_want.hex`, data: expectedOutputs(g, prog, v).hex }));
  }
  const energy = loweredEnergy(g, o.name);
  // Next to the dataflow-neutral counts, the memory traffic of the reference engine's own loops (no reuse).
  const engine = engineEnergy(d, energy);
  files.push({ name: 'energy.json', data: `${JSON.stringify({ ...energy, engine }, null, 1)}\n` }, { name: 'energy.md', data: energyMarkdown(energy) + engineEnergyMarkdown(engine) });
  const termWords = memories.terms.words.length;
  const paramBytes = (memories.bias.words.length * 32 + (memories.shift.words.length + memories.lut.words.length) * 8 + memories.gain.words.length * memories.gain.width) / 8;
  // Ideal: (1 + B) bits per non-zero term, as the C backend's streams are measured against.
  let terms = 0;
  let idealBits = 0;
  for (const n of g.nodes) {
    if (n.op.kind !== 'ShiftConv' && n.op.kind !== 'ShiftGemm') continue;
    let nz = 0;
    for (const c of g.values[n.inputs[1]!]!.data!.data) if (c !== 0) nz++;
    terms += nz;
    idealBits += nz * (1 + (n.op.attrs as { shiftBits: number }).shiftBits);
  }
  const weightBytes = Math.ceil((termWords * memories.terms.width) / 8);
  const idealBytes = Math.ceil(idealBits / 8);
  const b = d.bufferPlan;
  return {
    files,
    stats: { memory: { arenaBytes: b.arenaBytes, lowerBound: b.lowerBound, naiveBytes: b.naiveBytes }, weightBytes, idealBytes, paramBytes, terms, codeTerms: 0, ops: d.schedule.length },
    summary: `${o.name} hw: ${'unsupported' in prog ? `(no engine program: ${prog.unsupported}) ` : ''}${d.schedule.length} steps, ${d.cycles.total} cycles at ${o.lanes} lanes, term memory ${termWords} x ${memories.terms.width} bits, activation memory ${d.activation.depth} x ${d.activation.width} bits; energy ${(energy.total.shiftadd / 1e3).toFixed(1)} nJ (FP32 MAC ${(energy.total.fp32 / 1e3).toFixed(1)} nJ, INT8 MAC ${(energy.total.int8 / 1e3).toFixed(1)} nJ)`,
  };
}

export const hwBackend: Backend<HwBackendOptions> = {
  name: 'hw',
  description: 'hardware: descriptor.json, memory images (.hex/.coe/.mif), NAME_params.vh, test vectors, energy.json/md',
  options: [
    { key: 'name', flag: '--name <name>', use: 'both', description: 'identifier prefixing the generated files (default: the model file name)' },
    { key: 'lanes', flag: '--lanes <P>', use: 'both', default: '4', description: 'hardware lanes: output channels computed in parallel' },
    { key: 'vectors', flag: '--vectors <file>', use: 'emit', description: 'float inputs (.npy) for the hardware test vectors (default: the --calibrate file)' },
    { key: 'vectorCount', flag: '--vector-count <n>', use: 'emit', default: '2', description: 'samples of --vectors written as hardware test vectors' },
    { key: 'memory', flag: '--memory <kind>', use: 'both', default: 'bram', description: 'engine memories: bram, or spram (iCE40 UP5K SPRAMs for activations and terms, the terms loaded over the host port)' },
  ],
  parseOptions(v, ctx) {
    const name = v.name ?? idName(ctx.model ?? 'model');
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) fail('SAC040', `--name '${name}' is not an identifier`);
    const vectors = v.vectors ?? ctx.calibration;
    const memory = v.memory ?? 'bram';
    if (memory !== 'bram' && memory !== 'spram') fail('SAC040', `--memory must be bram or spram (got '${memory}')`);
    return { name, lanes: int(v.lanes, 4, '--lanes', 1, 64), vectorCount: int(v.vectorCount, 2, '--vector-count', 0, 64), memory, ...(vectors ? { vectors } : {}) };
  },
  emit,
  runDescription: 'the reference engine hw/sa_engine.v simulated in Icarus Verilog (iverilog), every layer checked against runInteger',
  checkRun() {
    checkIverilog();
  },
  run(g, inputs, o, onInfo) {
    const r = simulate(g, inputs, o.name, o.lanes, o.memory);
    const c = r.stats.cycles;
    onInfo?.({
      line: `hw engine (${o.lanes} lanes, iverilog): ${c[0]} cycles per inference, ${r.stats.layersChecked} layers checked against runInteger on ${c.length} samples`,
      label: `the reference engine in Icarus Verilog (${c[0]} cycles per inference at ${o.lanes} lanes)`,
      json: { cycles: c[0], lanes: o.lanes, samples: c.length, layersChecked: r.stats.layersChecked },
    });
    return r.outputs;
  },
};
