// The reference engine hw/: no multiply operator, verilator -Wall clean, bit-exact with runInteger in iverilog, layer by layer.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../src/api.js';
import { buildDescriptor } from '../src/backends/hw/descriptor.js';
import { expectedOutputs } from '../src/backends/hw/engine-files.js';
import { engineSetup, simulate } from '../src/backends/hw/run.js';
import { buildSim, runSim } from '../src/backends/hw/sim.js';
import { vectorInputs } from '../src/backends/hw/vectors.js';
import { memoryImages } from '../src/codegen/images.js';
import { compile } from '../src/compile.js';
import { readNpy } from '../src/io/npy.js';
import { runInteger } from '../src/ir/interp-int.js';
import { numel, tensor } from '../src/ir/tensor.js';

const EX = new URL('../examples/', import.meta.url).pathname;
const HW = new URL('../hw/', import.meta.url).pathname;
const all = readNpy(fs.readFileSync(`${EX}data/calib-256.npy`), 'calib');
const per = numel(all.shape.slice(1));
const calib = tensor('float32', [16, ...all.shape.slice(1)], all.data.subarray(0, 16 * per));
const lowered = (m: string) => compile(loadModel(`${EX}${m}.onnx`), { calibration: [calib], terms: 2 }).graph;

/** Verilog text without comments and `@*` event controls: what is left holds a `*` only as a multiply (or power). */
const multiplyUses = (src: string): string[] => src.replace(/\/\/.*$/gm, '').replace(/@\s*\(?\s*\*\s*\)?/g, '@').split('\n').filter((l) => l.includes('*'));

describe('hw reference engine', () => {
  it('has no multiply operator anywhere in hw/ (and the check finds one)', () => {
    const files = fs.readdirSync(HW).filter((f) => /\.(v|vh)$/.test(f));
    expect(files).toContain('sa_engine.v');
    for (const f of files) expect(multiplyUses(fs.readFileSync(path.join(HW, f), 'utf8')), f).toEqual([]);
    expect(multiplyUses('always @* begin\n  y = a * b; // x * y\nend')).toEqual(['  y = a * b; ']);
  });

  it('is verilator --lint-only -Wall clean at LeNet\'s sizes (engine and board top)', () => {
    const { files } = engineSetup(lowered('lenet'), 'lenet', 4) as { files: { name: string; data: string | Uint8Array }[] };
    const vh = String(files.find((f) => f.name === 'sa_tb.vh')!.data);
    const def = (k: string) => /`define SA_(\w+) (\d+)$/.exec(vh.split('\n').find((l) => l.startsWith(`\`define SA_${k} `))!)![2];
    const params = ['P', 'K', 'CB', 'G', 'TW', 'GW', 'ACT_DEPTH', 'TERMS_DEPTH', 'CHAN_DEPTH', 'GAIN_DEPTH', 'LUT_DEPTH', 'PROG_DEPTH'].map((k) => `-G${k}=${def(k)}`);
    const mems = ['sa_act_mem.v', 'sa_terms_mem.v'];
    const lint = (args: string[]) => execFileSync('verilator', ['--lint-only', '-Wall', ...args], { cwd: HW, encoding: 'utf8', stdio: 'pipe' });
    expect(lint([...params, '--top-module', 'sa_engine', 'sa_engine.v', ...mems])).toBe('');
    expect(lint(['--top-module', 'sa_top', ...params, 'sa_top.v', 'sa_engine.v', ...mems])).toBe('');
    // With the UP5K's SPRAMs (terms as 3 SPRAMs of two words a row at 2 lanes, and in 2 x 2 at one word a row).
    for (const sp of [['-GSP_COLS=3', '-GSP_PACK=2', '-GSP_BANKS=1'], ['-GSP_COLS=2', '-GSP_PACK=1', '-GSP_BANKS=2']]) {
      expect(lint(['--top-module', 'sa_top', ...params.map((p) => (p.startsWith('-GP=') ? '-GP=2' : p.startsWith('-GTW=') ? '-GTW=24' : p)), '-GSPRAM=1', ...sp,
        'sa_top.v', 'sa_engine.v', ...mems, 'sb_spram256ka_sim.v'])).toBe('');
    }
  });

  // 2 lanes: 24-bit words, two a row in 3 SPRAMs; 4 lanes: 48-bit words, one a row in 3 SPRAMs.
  for (const [lanes, pack] of [[2, 2], [4, 1]] as const) {
    it(`runs lenet at ${lanes} lanes with activations and terms in UP5K SPRAMs (terms loaded over the host port), bit-exact`, () => {
      const g = lowered('lenet');
      const setup = engineSetup(g, 'lenet', lanes, 'spram');
      if ('unsupported' in setup) throw new Error(setup.unsupported);
      expect(setup.spram).toEqual({ cols: 3, pack, banks: 1, rows: Math.ceil(buildDescriptor(g, 'lenet', lanes).memories.terms.words.length / pack), sprams: 3 });
      const xs = vectorInputs(g, calib, 1);
      const r = simulate(g, xs, 'lenet', lanes, 'spram');
      expect(Array.from(r.outputs[0]!.data)).toEqual(Array.from(runInteger(g, xs)[0]!.data));
      expect(r.stats.layersChecked).toBe(g.nodes.filter((n) => n.op.kind !== 'Reshape').length);
      // The testbench counts from `start`: loading the SPRAMs before it costs no engine cycles.
      expect(r.stats.cycles[0]).toBe(buildDescriptor(g, 'lenet', lanes).descriptor.cycles.total);
    }, 300_000);
  }

  it('fails the SPRAM build of a model whose activations exceed one SPRAM, naming the reason', () => {
    const setup = engineSetup(lowered('resnet'), 'resnet', 2, 'spram');
    expect('unsupported' in setup && setup.unsupported).toMatch(/resnet in UP5K SPRAMs: its (activation|term) memory/);
  });

  for (const [m, lanes] of [['lenet', 4], ['dwsep', 4]] as const) {
    it(`runs ${m} at ${lanes} lanes bit-exact with runInteger, every layer checked, in the descriptor's cycles`, () => {
      const g = lowered(m);
      const xs = vectorInputs(g, calib, 1);
      const r = simulate(g, xs, m, lanes);
      expect(Array.from(r.outputs[0]!.data)).toEqual(Array.from(runInteger(g, xs)[0]!.data));
      expect(r.stats.layersChecked).toBe(g.nodes.filter((n) => n.op.kind !== 'Reshape').length);
      expect(r.stats.cycles[0]).toBe(buildDescriptor(g, m, lanes).descriptor.cycles.total);
      console.log(`${m} at ${lanes} lanes: ${r.stats.cycles[0]} cycles per inference`);
    }, 60_000);
  }

  it('reports the layer whose output is wrong when a bias word is corrupted', () => {
    const g = lowered('lenet');
    const setup = engineSetup(g, 'lenet', 4);
    if ('unsupported' in setup) throw new Error(setup.unsupported);
    const bias = setup.files.find((f) => f.name === 'lenet_bias.hex')!;
    const words = String(bias.data).split('\n');
    const layer2 = 1 + 6 + 3; // header line, conv1's 6 channels, then conv2's channel 3
    words[layer2] = (parseInt(words[layer2]!, 16) ^ 0x40000).toString(16).padStart(8, '0');
    bias.data = words.join('\n');
    const { dir, sim } = buildSim(setup.files);
    try {
      const x = vectorInputs(g, calib, 1)[0]!;
      fs.writeFileSync(path.join(dir, 'in.hex'), memoryImages(x.data, 8, 'input').hex);
      fs.writeFileSync(path.join(dir, 'want.hex'), expectedOutputs(g, setup.prog, x).hex);
      const r = runSim(dir, sim, 'in.hex', 'want.hex');
      expect(r.errors).toBeGreaterThan(0);
      expect(r.log).toMatch(/MISMATCH record 2 layer 2 /);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
