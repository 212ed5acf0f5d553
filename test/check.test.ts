// inspect --check / check(): every node compile cannot convert is named up front, and the check agrees with lowering.
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { check } from '../src/check.js';
import { compile, type CompileOptions } from '../src/compile.js';
import { ShiftaddcError } from '../src/diagnostics.js';
import { tensor, type Tensor } from '../src/ir/tensor.js';
import { fuzzCalibration, mutateGraph } from '../src/testing/fuzz-graph.js';
import { mulberry32 } from './helpers/prng.js';
import { EVIL, net, SEVERAL, w } from './helpers/check-models.js';
import { floatWeights, qdqSpec, qopSpec } from './helpers/qdq.js';
import { buildModel, float, type ModelSpec } from './helpers/onnx-builder.js';

const root = path.resolve(new URL('.', import.meta.url).pathname, '..');
function calib(n = 8, shape = [1, 2, 6, 6]): Tensor {
  const per = shape.reduce((a, b) => a * b, 1);
  const r = mulberry32(3);
  return tensor('float32', [n * shape[0]!, ...shape.slice(1)], Float32Array.from({ length: n * per }, () => r() * 2 - 1));
}

function compileError(model: Uint8Array, o: Partial<CompileOptions> = {}): ShiftaddcError | undefined {
  try {
    compile(model, { calibration: [calib()], ...o });
    return undefined;
  } catch (e) {
    if (e instanceof ShiftaddcError) return e;
    throw e;
  }
}

describe('check(): every node compile cannot convert, before calibration', () => {
  it('names all four refused nodes in graph order with code, escaped name, op and reason', () => {
    const r = check(buildModel(SEVERAL));
    expect(r.ok).toBe(false);
    expect(r.findings.map((f) => [f.code, f.node, f.op])).toEqual([
      ['SAC052', EVIL, 'Exp'], ['SAC052', 'mid-softmax', 'Softmax'], ['SAC052', 'reflect-pad', 'Pad'], ['SAC052', 'diff', 'Sub'],
    ]);
    expect(r.findings[0]!.line).toBe("error SAC052: cannot lower to shift-add: Exp has no shift-add lowering (at node '\\x1b[2Jexp\\u{202e}' (Exp)); this op or configuration has no multiplication-free form yet; see docs/numerics.md");
    expect(r.findings[1]!.message).toMatch(/Softmax inside the network/);
    expect(r.findings[2]!.message).toMatch(/only zero constant padding/);
    for (const f of r.findings) expect(f.line).not.toMatch(/[\x00-\x1f\u202e]/);
  });

  it('compile refuses the same nodes, all at once, before calibration and lowering start', () => {
    const stages: string[] = [];
    const t0 = performance.now();
    const e = compileError(buildModel(SEVERAL), { onProgress: (s) => stages.push(s) });
    const ms = performance.now() - t0;
    expect(e?.code).toBe('SAC052');
    expect(e!.findings.map((f) => f.format())).toEqual(check(buildModel(SEVERAL)).findings.map((f) => f.line));
    // Lowering reports progress from its first node on, recovery per layer: neither ran.
    expect(stages).toEqual([]);
    expect(ms).toBeLessThan(2000);
  });

  it('ops the importer does not know: every node using one is a finding (the load error names each op once)', () => {
    const spec: ModelSpec = { inputs: [{ name: 'x', shape: [1, 2] }], nodes: [
      { op: 'Frobnicate', inputs: ['x'], outputs: ['a'], name: 'f1' }, { op: 'Frobnicate', inputs: ['a'], outputs: ['b'], name: 'f2' },
      { op: 'LSTM', inputs: ['b'], outputs: ['y'], name: 'rnn' }], outputs: ['y'] };
    const r = check(buildModel(spec));
    expect(r.findings.map((f) => [f.code, f.line.match(/at node '(\w+)' \((\w+)\)/)?.slice(1).join(' ')])).toEqual([
      ['SAC005', 'f1 Frobnicate'], ['SAC005', 'f2 Frobnicate'], ['SAC005', 'rnn LSTM']]);
    expect(r.findings[2]!.message).toMatch(/recurrent layers are out of scope/);
    expect(compileError(buildModel(spec))?.format()).toMatch(/Frobnicate at node 'f1', LSTM .* at node 'rnn'/);
  });

  it('--act-bits 16 changes the verdict where lowering needs int8 (tables)', () => {
    const spec = net([{ op: 'Sigmoid', inputs: ['c1'], outputs: ['m'], name: 'sig' }]);
    expect(check(buildModel(spec)).ok).toBe(true);
    const r = check(buildModel(spec), { actBits: 16 });
    expect(r.findings.map((f) => f.node)).toEqual(['sig']);
    expect(compileError(buildModel(spec), { actBits: 16 })!.findings.map((f) => f.format())).toEqual(r.findings.map((f) => f.line));
  });

  it('every shipped example passes the check', () => {
    for (const m of ['lenet', 'dwsep', 'resnet', 'squeeze']) {
      const r = check(path.join(root, 'examples', `${m}.onnx`));
      expect(r.findings, m).toEqual([]);
      expect(r.ok).toBe(true);
    }
  });
});

/** The net with its classifier as Gemm(transA): f [1, 4] read as [4, 1] times wt [1, 3]. */
function transA(): ModelSpec {
  const base = net([{ op: 'Relu', inputs: ['c1'], outputs: ['m'] }], [{ name: 'wt', ...w([1, 3]) }]);
  return { ...base, nodes: [...base.nodes.slice(0, -1), { op: 'Gemm', inputs: ['f', 'wt'], outputs: ['y'], attrs: { transA: 1 }, name: 'fc' }] };
}

/** Models each lowering refuses for one reason (or accepts): the check's lines must be exactly compile's. */
const CASES: [string, ModelSpec, Partial<CompileOptions>][] = [
  ['Gemm transA', transA(), {}],
  ['Mul of two activations, no gate', net([{ op: 'Mul', inputs: ['c1', 'c1'], outputs: ['m'], name: 'sq' }]), {}],
  ['gate Mul (SE)', net([{ op: 'Sigmoid', inputs: ['c1'], outputs: ['s'], name: 'sig' }, { op: 'Mul', inputs: ['c1', 's'], outputs: ['m'], name: 'gate' }]), {}],
  ['gate Mul at 16 bits', net([{ op: 'Sigmoid', inputs: ['c1'], outputs: ['s'], name: 'sig' }, { op: 'Mul', inputs: ['c1', 's'], outputs: ['m'], name: 'gate' }]), { actBits: 16 }],
  ['LRN', net([{ op: 'LRN', inputs: ['c1'], outputs: ['m'], attrs: { size: 3 }, name: 'lrn' }]), {}],
  ['LRN at 16 bits', net([{ op: 'LRN', inputs: ['c1'], outputs: ['m'], attrs: { size: 3 }, name: 'lrn' }]), { actBits: 16 }],
  ['LRN bias 0', net([{ op: 'LRN', inputs: ['c1'], outputs: ['m'], attrs: { size: 3, bias: float(0) }, name: 'lrn' }]), {}],
  ['Split + Concat', net([{ op: 'Split', inputs: ['c1'], outputs: ['a', 'b'], attrs: { axis: 1 }, name: 'split' }, { op: 'Concat', inputs: ['b', 'a'], outputs: ['m'], attrs: { axis: 1 }, name: 'cat' }]), {}],
  ['Tanh, Elu, LeakyRelu tables', net([{ op: 'Tanh', inputs: ['c1'], outputs: ['t'] }, { op: 'Elu', inputs: ['t'], outputs: ['u'] }, { op: 'LeakyRelu', inputs: ['u'], outputs: ['m'] }]), {}],
  ['tables at 16 bits', net([{ op: 'Tanh', inputs: ['c1'], outputs: ['t'], name: 'tanh' }, { op: 'Elu', inputs: ['t'], outputs: ['m'], name: 'elu' }]), { actBits: 16 }],
  ['Abs, Neg, Sqrt', net([{ op: 'Abs', inputs: ['c1'], outputs: ['a'], name: 'abs' }, { op: 'Neg', inputs: ['a'], outputs: ['n'], name: 'neg' }, { op: 'Sqrt', inputs: ['a'], outputs: ['s'], name: 'sqrt' }, { op: 'Add', inputs: ['n', 's'], outputs: ['m'], name: 'add' }]), {}],
  ['zero Pad, MaxPool, Clip', net([{ op: 'Pad', inputs: ['c1', 'pads'], outputs: ['p'], name: 'pad' }, { op: 'MaxPool', inputs: ['p'], outputs: ['q'], attrs: { kernel_shape: [3, 3] }, name: 'pool' }, { op: 'Clip', inputs: ['q', '', ''], outputs: ['m'], name: 'clip' }], [{ name: 'pads', dims: [8], data: [0, 0, 1, 1, 0, 0, 1, 1], dtype: 'int64' }]), {}],
  ['several at once', SEVERAL, {}],
  ['int8 QDQ (onnxruntime form)', qdqSpec(floatWeights(), calib(16, [1, 1, 8, 8])).spec, {}],
  ['int8 QLinearConv', qopSpec(floatWeights(), calib(16, [1, 1, 8, 8])).spec, {}],
];

describe('the check agrees with lowering', () => {
  it.each(CASES)('%s: check and compile name the same nodes (or both pass)', (_label, spec, o) => {
    const bytes = buildModel(spec);
    const r = check(bytes, o);
    const e = compileError(bytes, { ...o, recover: false, calibration: [calib(8, [...spec.inputs![0]!.shape])] });
    if (r.ok) expect(e?.format()).toBeUndefined();
    else expect(e?.findings.map((f) => f.format())).toEqual(r.findings.map((f) => f.line));
  });

  it('on 120 structurally fuzzed models: check passes exactly when compile gets past lowering\'s refusals', () => {
    let refused = 0;
    let passed = 0;
    for (let seed = 1; seed <= 120; seed++) {
      const { bytes } = mutateGraph(seed);
      let r;
      try { r = check(bytes); } catch (err) {
        // A file-level problem (bad bytes, missing values): compile refuses it with the same diagnostic.
        if (!(err instanceof ShiftaddcError)) throw err;
        expect(compileError(bytes)?.format(), `seed ${seed}`).toBe(err.format());
        continue;
      }
      let e: ShiftaddcError | undefined;
      try { compile(bytes, { calibration: [fuzzCalibration()] }); } catch (err) { if (!(err instanceof ShiftaddcError)) throw err; e = err; }
      if (r.ok) {
        passed++;
        expect(e?.code === 'SAC052' ? e.format() : undefined, `seed ${seed}`).toBeUndefined();
      } else {
        refused++;
        expect(e, `seed ${seed}: check refused, compile succeeded`).toBeDefined();
        expect(e!.findings.map((f) => f.format()), `seed ${seed}`).toEqual(r.findings.map((f) => f.line));
      }
    }
    expect(refused).toBeGreaterThan(5);
    expect(passed).toBeGreaterThan(5);
  });
});
