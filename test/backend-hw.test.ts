// Hardware backend: descriptor valid against its schema, memory images decode to the layer data, vectors, energy.
import * as fs from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../src/api.js';
import { hwBackend } from '../src/backends/hw/backend.js';
import { buildDescriptor } from '../src/backends/hw/descriptor.js';
import { DESCRIPTOR_SCHEMA } from '../src/backends/hw/schema.js';
import { emit } from '../src/backends/registry.js';
import { loweredEnergy } from '../src/codegen/energy.js';
import { compile } from '../src/compile.js';
import { readNpy } from '../src/io/npy.js';
import { runInteger } from '../src/ir/interp-int.js';
import { numel, tensor } from '../src/ir/tensor.js';
import { vectorInputs } from '../src/backends/hw/vectors.js';
import { formatEnergy } from '../src/inspect.js';

const EX = new URL('../examples/', import.meta.url).pathname;
const all = readNpy(fs.readFileSync(`${EX}data/calib-256.npy`), 'calib');
const per = numel(all.shape.slice(1));
const calib = tensor('float32', [16, ...all.shape.slice(1)], all.data.subarray(0, 16 * per));
const lowered = (m: string) => compile(loadModel(`${EX}${m}.onnx`), { calibration: [calib], terms: 2 }).graph;
const text = (files: { name: string; data: string | Uint8Array }[], name: string) => String(files.find((f) => f.name === name)!.data);
/** Words of a $readmemh file as unsigned bigints (comment lines skipped). */
const hexWords = (s: string) => s.split('\n').filter((l) => l && !l.startsWith('//')).map((l) => BigInt(`0x${l}`));
const field = (w: bigint, i: number, bits: number) => { const u = Number((w >> BigInt(i * bits)) & ((1n << BigInt(bits)) - 1n)); return u >= 2 ** (bits - 1) ? u - 2 ** bits : u; };

describe('hw backend', () => {
  const g = lowered('lenet');
  const out = emit(g, 'hw', { name: 'lenet', lanes: '4', vectors: `${EX}data/calib-256.npy`, vectorCount: '2' });
  const d = JSON.parse(text(out.files, 'descriptor.json'));

  it('writes a descriptor its shipped schema accepts, and the schema rejects a broken one', () => {
    const validate = new Ajv({ allErrors: true, strict: false }).compile(DESCRIPTOR_SCHEMA);
    expect(validate(d), JSON.stringify(validate.errors)).toBe(true);
    expect(JSON.parse(text(out.files, 'descriptor.schema.json'))).toEqual(JSON.parse(JSON.stringify(DESCRIPTOR_SCHEMA)));
    const bad = structuredClone(d);
    delete bad.layers[0].output.addr;
    expect(validate(bad)).toBe(false);
    expect(d.layers.map((l: { op: string }) => l.op)).toEqual(['shift_conv', 'max_pool', 'shift_conv', 'max_pool', 'reshape', 'shift_gemm', 'shift_gemm', 'shift_gemm']);
    expect(d.layers[0].shift.bits.accumulatorNeeded).toBeLessThanOrEqual(32);
  });

  it('term memory words unpack to every layer\'s codes, lane by lane, in .hex, .coe and .mif alike', () => {
    const words = hexWords(text(out.files, 'lenet_terms.hex'));
    const coe = text(out.files, 'lenet_terms.coe').split('vector=\n')[1]!.split(/[,;]\n/).filter(Boolean).map((w) => BigInt(`0x${w}`));
    const mif = [...text(out.files, 'lenet_terms.mif').matchAll(/: ([0-9a-f]+);/g)].map((m) => BigInt(`0x${m[1]}`));
    expect(coe).toEqual(words);
    expect(mif).toEqual(words);
    const cb = 6;
    for (const l of d.layers.filter((x: { kind: string }) => x.kind.startsWith('Shift'))) {
      const n = g.nodes[l.index]!;
      const codes = g.values[n.inputs[1]!]!.data!;
      const M = codes.shape[0]!;
      const D = numel(codes.shape) / (M * 2);
      expect(l.regions.terms.size).toBe(Math.ceil(M / 4) * D);
      for (let m = 0; m < M; m++) for (let t = 0; t < D; t++) for (let k = 0; k < 2; k++) {
        const w = words[l.regions.terms.base + Math.floor(m / 4) * D + t]!;
        expect(field(w, (m % 4) * 2 + k, cb)).toBe(codes.data[(m * D + t) * 2 + k]);
      }
      const bias = hexWords(text(out.files, 'lenet_bias.hex')).slice(l.regions.bias.base, l.regions.bias.base + M).map((w) => field(w, 0, 32));
      expect(bias).toEqual(Array.from(g.values[n.inputs[2]!]!.data!.data));
    }
    expect(text(out.files, 'lenet_params.vh')).toContain(`localparam LENET_L5_TERMS_BASE = ${d.layers[5].regions.terms.base};`);
  });

  it('plans activations so that no two live tensors overlap, and writes runInteger\'s per-layer outputs as vectors', () => {
    const live = d.layers.filter((l: { alias: boolean }) => !l.alias);
    for (const a of live) for (const b of live) {
      if (a === b || a.output.region !== 'arena' || b.output.region !== 'arena') continue;
      const reads = (l: { index: number; inputs: { value: string }[] }, v: string) => l.inputs.some((x) => x.value === v);
      const aEnd = Math.max(a.index, ...d.layers.filter((l: never) => reads(l, a.output.value)).map((l: { index: number }) => l.index));
      if (b.index <= a.index || b.index > aEnd) continue;
      const overlap = a.output.addr < b.output.addr + b.output.words && b.output.addr < a.output.addr + a.output.words;
      expect(overlap && !(b.index === aEnd && b.inputs.some((x: { value: string }) => x.value === a.output.value))).toBe(false);
    }
    const xs = vectorInputs(g, calib, 2);
    const y = runInteger(g, [xs[1]!])[0]!;
    const got = hexWords(text(out.files, 'lenet_tv1_L7.hex')).map((w) => field(w, 0, 16));
    expect(got).toEqual(Array.from(y.data));
    expect(hexWords(text(out.files, 'lenet_tv1_input.hex')).map((w) => field(w, 0, 8))).toEqual(Array.from(xs[1]!.data));
  });

  it('counts energy from the layers and states its sources; cycles grow as lanes shrink', () => {
    const e = JSON.parse(text(out.files, 'energy.json'));
    expect(e.total.shiftadd).toBeCloseTo(e.layers.reduce((s: number, l: { shiftadd: { total: number } }) => s + l.shiftadd.total, 0), 6);
    const n = g.nodes[0]!;
    let nz = 0;
    for (const c of g.values[n.inputs[1]!]!.data!.data) if (c !== 0) nz++;
    const gain = g.values[n.inputs[4]!]!.data!.data.filter((c) => c !== 0).length;
    expect(e.layers[0].shiftadd.counts.shifts).toBe((nz + gain) * 28 * 28 + 6 * 28 * 28);
    expect(e.units.int8Shift.source).toMatch(/ShiftAddNet/);
    expect(text(out.files, 'energy.md')).toMatch(/Horowitz/);
    expect(e.savings.computeVsFp32).toBeGreaterThan(80);
    const one = buildDescriptor(g, 'lenet', 1).descriptor.cycles.total;
    expect(one).toBeGreaterThan(d.cycles.total);
    expect(43 + d.schedule.reduce((s: number, x: { cycles: number }) => s + x.cycles, 0)).toBe(d.cycles.total);
    expect(loweredEnergy(g).total.fp32).toBeCloseTo(e.total.fp32, 6);
  });

  it('prices the engine\'s own memory traffic: one activation and one term word per tap, as many taps as its cycles spend', () => {
    const e = JSON.parse(text(out.files, 'energy.json'));
    expect(e.engine.lanes).toBe(4);
    expect(text(out.files, 'energy.md')).toMatch(/Memory as the reference engine moves it \(4 lanes\)/);
    const tw = d.memories.find((m: { name: string }) => m.name === 'terms').width;
    for (const [t, l] of d.layers.entries()) {
      const b = e.engine.layers[t].bits;
      if (l.kind !== 'ShiftConv' && l.kind !== 'ShiftGemm') continue;
      // The descriptor's cycles (held to the testbench's count) less the per-position drain and per-lane output path.
      const M = l.output.shape[1];
      const positions = l.output.words / M;
      const taps = l.cycles - 42 - positions * (2 * Math.ceil(M / 4) + 4 * M);
      expect(b.shiftadd.act, l.name).toBe(taps * 16);
      expect(b.shiftadd.weights, l.name).toBe(taps * tw);
      expect(b.int8.act).toBe(b.shiftadd.act);
      expect(b.int8.weights).toBe(taps * 4 * 8);
    }
    const sum = (f: string) => e.engine.layers.reduce((s: number, l: { bits: Record<string, Record<string, number>> }) => s + Object.values(l.bits[f]!).reduce((a, v) => a + v, 0), 0);
    expect(e.engine.total.shiftadd.memory).toBeCloseTo((sum('shiftadd') / 64) * 10, 6);
    expect(e.engine.total.int8.compute).toBeCloseTo(e.totals.int8.compute, 6);
    // Re-reading every window costs far more than reading each weight and activation once (the counts above).
    expect(e.engine.total.shiftadd.memory).toBeGreaterThan(3 * e.totals.shiftadd.memory);
  });

  it('inspect --energy estimates a float model without compiling it', () => {
    const f = loadModel(`${EX}lenet.onnx`);
    const r = JSON.parse(formatEnergy(f, true));
    expect(r.basis).toBe('estimate');
    expect(r.layers.reduce((s: number, l: { macs: number }) => s + l.macs, 0)).toBe(416520);
    expect(r.totals.fp32.compute).toBeCloseTo(416520 * (3.7 + 0.9), 3);
    expect(formatEnergy(f, false)).toMatch(/shift-add vs INT8 MAC: [\d.]+% below/);
  });

  it('refuses bad options', () => {
    expect(() => hwBackend.parseOptions({ lanes: '0' }, {})).toThrow(/SAC040|--lanes/);
    expect(() => hwBackend.parseOptions({ name: '9x' }, {})).toThrow(/identifier/);
    expect(() => hwBackend.parseOptions({ memory: 'dram' }, {})).toThrow(/--memory must be bram or spram/);
    expect(() => emit(lowered('resnet'), 'hw', { name: 'resnet', memory: 'spram', lanes: '2' })).toThrow(/--memory spram: resnet does not fit an iCE40 UP5K/);
  });
});
