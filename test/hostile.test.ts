// Hostile and broken input through the library API: every case ends in a catalogued diagnostic within 5 s, never an internal error.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel, readInputFile, runFloat } from '../src/api.js';
import { compile, type CompileOptions } from '../src/compile.js';
import { DIAGNOSTICS, ShiftaddcError, type DiagnosticCode } from '../src/diagnostics.js';
import { evaluate } from '../src/eval.js';
import { MAX_RECOVER_D } from '../src/passes/recover.js';
import { readNpy, writeNpy } from '../src/io/npy.js';
import type { Tensor } from '../src/ir/tensor.js';
import { buildModel, type ModelSpec } from './helpers/onnx-builder.js';
import { mulberry32 } from './helpers/prng.js';
import {
  bnNet, calib, constantOfShape, convNet, editModel, externalModel, hostileName, mkfifo, npyWithHeader, repeatNet, scratch, X,
} from './helpers/hostile-cases.js';

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) fs.rmSync(d, { recursive: true, force: true }); });
const tmp = () => { const d = scratch(); dirs.push(d); return d; };

/** Runs `f`: it must throw a catalogued ShiftaddcError with `code` within 5 s (an internal error is any other throw). */
function expectDiagnostic(code: DiagnosticCode, f: () => unknown): ShiftaddcError {
  const t0 = performance.now();
  let err: unknown;
  try { f(); } catch (e) { err = e; }
  expect(performance.now() - t0, 'time (ms)').toBeLessThan(5000);
  if (!(err instanceof ShiftaddcError)) throw new Error(`expected ${code}, got ${err === undefined ? 'success' : `internal error ${String((err as Error).stack ?? err)}`}`);
  expect(err.code, err.format()).toBe(code);
  expect(DIAGNOSTICS[err.code]).toBeDefined();
  return err;
}

const compileSpec = (spec: ModelSpec, o: Partial<CompileOptions> = {}) => compile(buildModel(spec), { calibration: [calib()], ...o });

describe('non-finite numbers', () => {
  for (const v of [Infinity, -Infinity, NaN]) {
    it(`a conv weight of ${v} is named (SAC017), no endless scale search`, () => {
      const e = expectDiagnostic('SAC017', () => compileSpec(convNet((i) => (i === 4 ? v : 0.25))));
      expect(e.format()).toContain("'w1'");
    });
  }
  it('weights near 3e38 overflow activations to Inf: the activation and node are named', () => {
    const e = expectDiagnostic('SAC017', () => compileSpec(convNet(() => 3e38, () => 3e38)));
    expect(e.format()).toMatch(/activation '(c1|r1|y)'/);
  });
  for (const p of ['scale', 'B', 'mean', 'var'] as const) {
    it(`a BatchNormalization ${p} of NaN is named`, () => {
      expect(expectDiagnostic('SAC017', () => compileSpec(bnNet(p, NaN))).format()).toContain(`'${p}'`);
    });
  }
  for (const v of [Infinity, NaN]) {
    it(`calibration data with ${v} is rejected naming the sample`, () => {
      const e = expectDiagnostic('SAC023', () => compileSpec(convNet(), { calibration: [calib(8, { at: 3 * 36 + 5, value: v })] }));
      expect(e.message).toContain('sample 3');
    });
  }
});

describe('declared sizes are checked before allocation', () => {
  it('ConstantOfShape of 2^29 - 1 floats (SAC009, names the node)', () => {
    expect(expectDiagnostic('SAC009', () => loadModel(buildModel(constantOfShape(2 ** 29 - 1, 6)))).format()).toContain("'cos'");
  });
  it('a chain of folds is bounded by the fold budget, overridable', () => {
    expect(() => loadModel(buildModel(constantOfShape(1000, 3)), { limits: { maxFoldedElements: 4000 } })).not.toThrow();
    expect(expectDiagnostic('SAC009', () => loadModel(buildModel(constantOfShape(1000, 6)), { limits: { maxFoldedElements: 4000 } })).format()).toContain("'add3'");
  });
  it('Tile and Expand to 2^29 - 1 elements', () => {
    expectDiagnostic('SAC009', () => loadModel(buildModel(repeatNet('Tile', [1, 1, 2 ** 29 / 36, 1]))));
    expectDiagnostic('SAC009', () => loadModel(buildModel(repeatNet('Expand', [2 ** 23, 1, 6, 6]))));
  });
  it('run-time outputs of N samples are bounded before running (Tile to 75M elements per sample, 2 samples)', () => {
    const g = loadModel(buildModel(repeatNet('Tile', [1, 1, 2 ** 11, 2 ** 10])));
    const x = (n: number): Tensor => ({ dtype: 'float32', shape: [n, 1, 6, 6], data: new Float32Array(n * 36) });
    expect(expectDiagnostic('SAC009', () => runFloat(g, [x(2)])).format()).toContain("'y'");
    expectDiagnostic('SAC009', () => runFloat(g, [x(1)], { limits: { maxElements: 2 ** 20 } }));
  });
  it('calibration data with 0 samples', () => {
    expectDiagnostic('SAC042', () => compileSpec(convNet(), { calibration: [{ dtype: 'float32', shape: [0, 1, 6, 6], data: new Float32Array(0) }] }));
  });
  it('an allocation that fails becomes SAC025 naming the node', () => {
    const big = { limits: { maxElements: 2 ** 40, maxFoldedElements: 2 ** 40 } };
    expect(expectDiagnostic('SAC025', () => loadModel(buildModel(constantOfShape([2 ** 17, 2 ** 17], 0)), big)).format()).toContain("'cos'");
  });
  it('limits must be positive integers', () => {
    expectDiagnostic('SAC040', () => loadModel(buildModel(convNet()), { limits: { maxElements: -1 } }));
  });
});

describe('recovery memory bound', () => {
  it('a Gemm wider than MAX_RECOVER_D is rounded without recovery, quickly, and the report says so', () => {
    const K = MAX_RECOVER_D + 1;
    const spec: ModelSpec = {
      inputs: [{ name: 'x', shape: [1, K] }],
      initializers: [{ name: 'w', dims: [2, K], data: Float32Array.from({ length: 2 * K }, (_, i) => Math.sin(i) / 64) }],
      nodes: [{ op: 'Gemm', inputs: ['x', 'w'], outputs: ['y'], name: 'fc', attrs: { transB: 1 } }],
      outputs: ['y'],
    };
    const t0 = performance.now();
    const r = compile(buildModel(spec), { calibration: [{ dtype: 'float32', shape: [8, K], data: Float32Array.from({ length: 8 * K }, (_, i) => Math.cos(i)) }] });
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(r.report.notes.join('\n')).toMatch(/fc: \d+ weights per output exceed recovery's bound/);
  });
});

describe('files', () => {
  it('a FIFO, /dev/zero and a folder as the model; an oversized file', () => {
    const d = tmp();
    mkfifo(path.join(d, 'fifo.onnx'));
    expectDiagnostic('SAC019', () => loadModel(path.join(d, 'fifo.onnx')));
    if (fs.existsSync('/dev/zero')) expectDiagnostic('SAC019', () => loadModel('/dev/zero'));
    expectDiagnostic('SAC001', () => loadModel(d));
    fs.writeFileSync(path.join(d, 'm.onnx'), buildModel(convNet()));
    expectDiagnostic('SAC019', () => loadModel(path.join(d, 'm.onnx'), { limits: { maxFileBytes: 100 } }));
    mkfifo(path.join(d, 'x.npy'));
    expectDiagnostic('SAC019', () => readInputFile(path.join(d, 'x.npy'), 'input'));
  });
  it('an explicitly allowed stream is read with a byte limit (/dev/zero stops at the limit)', () => {
    if (fs.existsSync('/dev/zero')) expectDiagnostic('SAC019', () => readInputFile('/dev/zero', 'input', 1 << 20, { allowStream: true }));
    const d = tmp();
    const fifo = path.join(d, 'in.npy');
    mkfifo(fifo);
    const bytes = writeNpy(calib(2));
    fs.writeFileSync(path.join(d, 'src.npy'), bytes);
    const writer = spawn('sh', ['-c', 'cat src.npy > in.npy'], { cwd: d, stdio: 'ignore' });
    try {
      expect(readNpy(readInputFile(fifo, 'input', 1 << 20, { allowStream: true })).shape).toEqual([2, 1, 6, 6]);
    } finally {
      writer.kill();
    }
  });
  it('external data that is a FIFO or a folder', () => {
    const d = tmp();
    mkfifo(path.join(d, 'w.bin'));
    expectDiagnostic('SAC019', () => loadModel(externalModel(d, 'w.bin')));
    const e = tmp();
    fs.mkdirSync(path.join(e, 'w.bin'));
    expectDiagnostic('SAC019', () => loadModel(externalModel(e, 'w.bin')));
  });
});

describe('models compile rejects with a diagnostic', () => {
  const twoIn: ModelSpec = {
    inputs: [X, { name: 'w', shape: [2, 1, 3, 3] }], nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], name: 'conv' }], outputs: ['y'],
  };
  it('a conv weight that is a graph input', () => {
    expect(expectDiagnostic('SAC014', () => compileSpec(twoIn)).format()).toContain("'conv'");
    const w: Tensor = { dtype: 'float32', shape: [2, 1, 3, 3], data: new Float32Array(18).fill(0.1) };
    expect(expectDiagnostic('SAC014', () => compileSpec(twoIn, { calibration: [calib(1), w] })).format()).toContain("'conv'");
  });
  it('a Conv with 0 output channels', () => {
    expectDiagnostic('SAC013', () => compileSpec({ ...convNet(), initializers: [{ name: 'w1', dims: [0, 1, 3, 3], data: [] }, { name: 'b1', dims: [0], data: [] }, { name: 'w2', dims: [3, 0, 1, 1], data: [] }] }));
  });
  it('a model whose output is a constant', () => {
    const s = convNet();
    expectDiagnostic('SAC052', () => compileSpec({ ...s, outputs: ['y', 'w2'] }));
  });
});

describe('invalid model fields and .npy headers', () => {
  for (const d of [-3, 0, -1]) {
    it(`input dimension ${d}`, () => { expectDiagnostic('SAC018', () => loadModel(buildModel({ ...convNet(), inputs: [{ name: 'x', shape: [1, 1, d, 6] }] }))); });
  }
  it('a missing opset_import and ir_version 99', () => {
    expectDiagnostic('SAC018', () => loadModel(editModel(convNet(), (m) => { m.opsetImport = []; })));
    expectDiagnostic('SAC018', () => loadModel(editModel(convNet(), (m) => { m.irVersion = 99; })));
  });
  const ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
  it('the hostile header builder makes a valid file when nothing is wrong', () => {
    expect(readNpy(npyWithHeader(ok, 8)).shape).toEqual([2]);
  });
  const bad: [string, Uint8Array][] = [
    ['version byte 9', npyWithHeader(ok, 8, 9)],
    ['a float shape', npyWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2.0,), }", 8)],
    ['a duplicate key', npyWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'shape': (1,), }", 8)],
    ['an unknown key', npyWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1, }", 8)],
    ['trailing bytes', npyWithHeader(ok, 12)],
    ['a negative dim', npyWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", 8)],
  ];
  for (const [what, bytes] of bad) it(`.npy with ${what}`, () => { expectDiagnostic('SAC020', () => readNpy(bytes)); });
});

describe('eval labels', () => {
  const result = compileSpec({ ...convNet(), nodes: [...convNet().nodes, { op: 'Flatten', inputs: ['y'], outputs: ['f'], name: 'flat' }], outputs: ['f'] });
  const data = calib(4);
  const classes = 3 * 4 * 4;
  const labels = (vals: number[], shape = [vals.length]): Tensor => ({ dtype: 'float32', shape, data: Float32Array.from(vals) });
  it('valid labels evaluate', () => { expect(evaluate(result, data, labels([0, 1, 2, classes - 1])).samples).toBe(4); });
  const bad: [string, Tensor][] = [
    ['NaN', labels([0, NaN, 1, 2])], ['negative', labels([0, -1, 1, 2])], ['out of range', labels([0, classes, 1, 2])],
    ['fractional', labels([0, 1.5, 1, 2])], ['wrongly shaped', labels([0, 1, 2, 3], [2, 2])], ['too few', labels([0, 1, 2])],
  ];
  for (const [what, l] of bad) it(`labels that are ${what}`, () => { expectDiagnostic('SAC024', () => evaluate(result, data, l)); });
});

describe('model strings in diagnostics are escaped and capped', () => {
  it('200 hostile op types and names (fuzz)', () => {
    const rng = mulberry32(18);
    for (let k = 0; k < 200; k++) {
      const op = hostileName(rng);
      const name = hostileName(rng);
      const spec: ModelSpec = k % 2
        ? { inputs: [X], nodes: [{ op, inputs: ['x'], outputs: ['y'], name }], outputs: ['y'] }
        : { inputs: [X], nodes: [{ op: 'Relu', inputs: [name], outputs: ['y'], name }], outputs: ['y'] };
      const e = expectDiagnostic(k % 2 ? 'SAC005' : 'SAC006', () => loadModel(buildModel(spec)));
      const line = e.format();
      // eslint-disable-next-line no-control-regex
      expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200b]/);
      expect(line.length).toBeLessThan(1500);
    }
  });
});

describe('float semantics of non-finite inputs match onnxruntime', () => {
  for (const op of ['GlobalMaxPool', 'MaxPool', 'Relu', 'Sigmoid', 'Softmax', 'LeakyRelu', 'HardSigmoid']) {
    it(`${op} on NaN and +-Inf`, async () => {
      const spec: ModelSpec = { inputs: [{ name: 'x', shape: [1, 2, 2, 2] }], nodes: [{ op, inputs: ['x'], outputs: ['y'], ...(op === 'MaxPool' ? { attrs: { kernel_shape: [2, 2] } } : {}) }], outputs: ['y'] };
      const bytes = buildModel(spec);
      const g = loadModel(bytes);
      const session = await ort.InferenceSession.create(bytes);
      // Pools: ONNX leaves NaN undefined and onnxruntime's result depends on its kernels' tap order and vector lanes
      // ([Inf, NaN, -1, 0] gives Inf there, ours 0); these patterns are the ones both orders agree on.
      const pats = [[NaN, 1, 2, 3, 1, NaN, 2, 3], [1, 2, 3, NaN, Infinity, -Infinity, NaN, NaN]];
      if (!op.includes('Pool')) pats.push([Infinity, NaN, -1, 0, -Infinity, 5, NaN, 2]);
      for (const pat of pats) {
        const data = Float32Array.from(pat);
        const [ours] = runFloat(g, [{ dtype: 'float32', shape: [1, 2, 2, 2], data }]);
        const ref = (await session.run({ x: new ort.Tensor('float32', data, [1, 2, 2, 2]) })).y!.data as Float32Array;
        Array.from(ref).forEach((r, i) => {
          const o = ours!.data[i]!;
          if (Number.isNaN(r) || !Number.isFinite(r)) expect(o, `${pat} output ${i}`).toBe(r);
          else expect(Math.abs(o - r), `${pat} output ${i}`).toBeLessThan(1e-6);
        });
      }
    });
  }
  for (const model of ['lenet', 'dwsep']) {
    it(`${model}: NaN, +Inf and -Inf pixels`, async () => {
      const file = `examples/${model}.onnx`;
      const g = loadModel(file);
      const session = await ort.InferenceSession.create(file);
      const shape = g.values[g.inputs[0]!]!.type.shape;
      const n = shape.reduce((a, b) => a * b, 1);
      for (const v of [NaN, Infinity, -Infinity]) {
        const data = Float32Array.from({ length: n }, (_, i) => (i % 11) / 11);
        for (const at of [0, 100, n >> 1, n >> 2, n - 1]) data[at] = v;
        const [ours] = runFloat(g, [{ dtype: 'float32', shape, data }]);
        const ref = (await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', data, shape) }))[session.outputNames[0]!]!.data as Float32Array;
        Array.from(ref).forEach((r, i) => {
          const o = ours!.data[i]!;
          if (Number.isNaN(r)) expect(o, `${v} output ${i}`).toBeNaN();
          else expect(Math.abs(o - r), `${v} output ${i}: ${o} vs ${r}`).toBeLessThan(1e-3 * Math.max(1, Math.abs(r)));
        });
      }
    });
  }
});

it('writeNpy output of the hostile suite round-trips (sanity of the generator)', () => {
  const t = calib(2);
  expect(readNpy(writeNpy(t)).data).toEqual(t.data);
});
