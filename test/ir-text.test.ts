// Textual IR: printer format, parser inverse, round trips (hand-built and random graphs), parse errors, golden output.
import { describe, expect, it } from 'vitest';
import { ShiftaddcError } from '../src/diagnostics.js';
import { GraphBuilder, type Graph, type Quant } from '../src/ir/graph.js';
import { runGraph } from '../src/ir/interp-float.js';
import { parseGraph } from '../src/ir/parser.js';
import { crc32, formatFloat32, printGraph, tensorBytes } from '../src/ir/printer.js';
import type { Op } from '../src/ir/registry.js';
import { floatTensor, numel, tensor, type DType, type Tensor, type TensorType } from '../src/ir/tensor.js';
import { verifyGraph } from '../src/ir/verify.js';
import { expectGolden } from './helpers/golden.js';
import { chance, mulberry32, pick, randInt, type Rng } from './helpers/prng.js';

const ALL = { elideConstantsOver: Infinity };

function conv(kernel: number[], extra: Partial<{ group: number; strides: number[]; pads: number[]; dilations: number[] }> = {}): Op {
  const r = kernel.length;
  return {
    kind: 'Conv',
    attrs: {
      group: extra.group ?? 1,
      kernel,
      strides: extra.strides ?? new Array<number>(r).fill(1),
      pads: extra.pads ?? new Array<number>(2 * r).fill(0),
      dilations: extra.dilations ?? new Array<number>(r).fill(1),
    },
  };
}

const relu: Op = { kind: 'Relu', attrs: {} };
const bin = (kind: 'Add' | 'Sub' | 'Mul' | 'Div'): Op => ({ kind, attrs: {} });
const reshape = (shape: number[]): Op => ({ kind: 'Reshape', attrs: { shape } });

/** The example graph of docs/ir.md: 1x1 conv with two output channels. */
function exampleGraph(): Graph {
  const b = new GraphBuilder('name', 13);
  const x = b.addValue('x', { dtype: 'float32', shape: [1, 1, 28, 28] });
  const w = b.addConst('w', floatTensor([2, 1, 1, 1], [0.5, -0.25]));
  const [y] = b.addNode('conv1', conv([1, 1]), [x, w, -1], ['y']);
  return b.finish([x], [y!]);
}

/** Tiny Conv + Relu + Reshape classifier head, used for the golden file. */
function tinyConvGraph(): Graph {
  const b = new GraphBuilder('tiny-conv', 13);
  const x = b.addValue('input', { dtype: 'float32', shape: [1, 1, 4, 4] });
  const w = b.addConst('conv1.weight', floatTensor([2, 1, 3, 3], [
    0.1, 0.2, 0.3, -0.4, 0.5, -0.6, 0.7, 0.8, -0.9,
    1, -1, 0.5, 0.25, -0.125, 2, 0, 3.5, -0,
  ]));
  const bias = b.addConst('conv1.bias', floatTensor([2], [0.01, -0.02]));
  const [c] = b.addNode('/conv1/Conv', conv([3, 3], { pads: [1, 1, 1, 1], strides: [2, 2] }), [x, w, bias], ['/conv1/Conv_output_0']);
  const [r] = b.addNode('/relu/Relu', relu, [c!], ['/relu/Relu_output_0']);
  const [o] = b.addNode('/Reshape', reshape([1, 8]), [r!], ['logits']);
  return b.finish([x], [o!]);
}

function roundTrip(g: Graph, opts = ALL): { text: string; parsed: Graph } {
  const text = printGraph(g, opts);
  const parsed = parseGraph(text);
  expect(printGraph(parsed, opts)).toBe(text);
  verifyGraph(parsed, 'parseGraph');
  return { text, parsed };
}

function parseError(text: string): ShiftaddcError {
  try {
    parseGraph(text);
  } catch (e) {
    expect(e).toBeInstanceOf(ShiftaddcError);
    const err = e as ShiftaddcError;
    expect(err.code).toBe('SAC031');
    return err;
  }
  throw new Error('expected a parse error');
}

describe('printGraph', () => {
  it('prints the documented example exactly', () => {
    expect(printGraph(exampleGraph())).toBe([
      'graph "name" opset 13 {',
      '  input %x : f32[1,1,28,28]',
      '  const %w : f32[2,1,1,1] = [0.5, -0.25]',
      '  %y : f32[1,2,28,28] = Conv(%x, %w, _) {dilations=[1,1], group=1, kernel=[1,1], pads=[0,0,0,0], strides=[1,1]} @"conv1"',
      '  output %y',
      '}',
      '',
    ].join('\n'));
  });

  it('prints nodes without attrs without braces and orders values inputs, constants, nodes', () => {
    const b = new GraphBuilder('g', 17);
    const x = b.addValue('x', { dtype: 'float32', shape: [2] });
    const [r] = b.addNode('r', relu, [x], ['r']);
    // A constant created after the node still prints before it (constants section).
    const k = b.addConst('k', floatTensor([2], [1, 2]));
    const [s] = b.addNode('s', bin('Add'), [r!, k], ['s']);
    const text = printGraph(b.finish([x], [s!, r!]));
    expect(text.split('\n')).toEqual([
      'graph "g" opset 17 {',
      '  input %x : f32[2]',
      '  const %k : f32[2] = [1, 2]',
      '  %r : f32[2] = Relu(%x) @"r"',
      '  %s : f32[2] = Add(%r, %k) @"s"',
      '  output %s',
      '  output %r',
      '}',
      '',
    ]);
    const parsed = parseGraph(text);
    // Ids follow print order: x, k, r, s.
    expect(parsed.values.map((v) => v.name)).toEqual(['x', 'k', 'r', 's']);
    expect(parsed.outputs).toEqual([3, 2]);
  });

  it('quotes odd value names and always quotes node names', () => {
    const b = new GraphBuilder('odd "graph"\n', 13);
    const names = ['a b', '0lead', 'x-y.z/w:0', 'ünï', 'q"uote', 'new\nline', '_', 'has,comma', 'tab\t', '%pct', ''];
    let v = b.addValue(names[0]!, { dtype: 'float32', shape: [1] });
    const inputs = [v];
    for (const n of names.slice(1)) [v] = b.addNode(`node ${n} "@"`, relu, [v!], [n || 'e']);
    const g = b.finish(inputs, [v!]);
    const { text, parsed } = roundTrip(g);
    expect(text).toContain('input %"a b" : f32[1]');
    expect(text).toContain('%"0lead" : f32[1] = Relu(%"a b") @"node 0lead \\"@\\""');
    expect(text).toContain('%x-y.z/w:0 : f32[1] = Relu(%"0lead")');
    expect(text).toContain('%"ünï"');
    expect(text).toContain('%"new\\nline"');
    expect(text).toContain('%_ : f32[1]');
    expect(text.split('\n')[0]).toBe('graph "odd \\"graph\\"\\n" opset 13 {');
    expect(parsed.name).toBe(g.name);
    expect(parsed.values.map((x) => x.name)).toEqual(g.values.map((x) => x.name));
    expect(parsed.nodes.map((n) => n.name)).toEqual(g.nodes.map((n) => n.name));
  });

  it('elides large constants with a crc32 of the little-endian bytes', () => {
    const b = new GraphBuilder('e', 13);
    const x = b.addValue('x', { dtype: 'float32', shape: [1, 8, 3, 3] });
    const data = Array.from({ length: 72 }, (_, i) => (i % 7) - 3.5);
    const w = b.addConst('big', floatTensor([8, 8, 1, 1], data.slice(0, 64)));
    const s = b.addConst('small', floatTensor([16], data.slice(0, 16)));
    const [y] = b.addNode('c', conv([1, 1]), [x, w], ['y']);
    const g = b.finish([x], [y!, s]);
    const text = printGraph(g);
    const crc = crc32(tensorBytes(g.values[w]!.data!)).toString(16).padStart(8, '0');
    expect(text).toContain(`const %big : f32[8,8,1,1] = elided(crc32=${crc})`);
    expect(text).toContain('const %small : f32[16] = [-3.5, -2.5, ');
    expect(printGraph(g, { elideConstantsOver: 4 })).toMatch(/const %small : f32\[16\] = elided\(crc32=[0-9a-f]{8}\)/);
    expect(printGraph(g, ALL)).toContain('const %big : f32[8,8,1,1] = [-3.5, -2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -3.5,');
    roundTrip(g);
    // Stable digest: depends only on dtype and element values.
    expect(crc32(new TextEncoder().encode('123456789')).toString(16)).toBe('cbf43926');
    expect(crc32(tensorBytes(floatTensor([1], [1])))).toBe(crc32(new Uint8Array([0, 0, 0x80, 0x3f])));
    expect(tensorBytes(tensor('int64', [1], [-2]))).toEqual(new Uint8Array([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
  });

  it('prints float32 constants in the shortest form that round-trips, with special values', () => {
    const vals = [0.1, 1 / 3, -0, 0, Infinity, -Infinity, NaN, 1e-45, 3.4028234663852886e38, 16777216, 1e-7, 123456.789];
    const b = new GraphBuilder('f', 13);
    const c = b.addConst('c', floatTensor([vals.length], vals));
    const g = b.finish([], [c]);
    const { text, parsed } = roundTrip(g);
    expect(text).toContain('[0.1, 0.33333334, -0, 0, inf, -inf, nan, 1e-45, 3.4028235e+38, 16777216, 1e-7, 123456.79]');
    const a = g.values[c]!.data!.data;
    const p = parsed.values[0]!.data!.data;
    for (let i = 0; i < a.length; i++) expect(Object.is(a[i], p[i])).toBe(true);
    expect(formatFloat32(Math.fround(0.2))).toBe('0.2');
  });

  it('prints quant annotations as a frac suffix on inputs, constants and node outputs', () => {
    const b = new GraphBuilder('q', 13);
    const x = b.addValue('x', { dtype: 'int8', shape: [1, 16] }, { quant: { frac: 5 } });
    const k = b.addConst('k', tensor('int8', [1, 16], Array.from({ length: 16 }, (_, i) => i * 17 - 128)), { frac: -2 });
    const [y] = b.addNode('add', bin('Add'), [x, k], ['y'], undefined, [{ frac: 5 }]);
    const [z] = b.addNode('relu', relu, [y!], ['z']);
    const g = b.finish([x], [z!]);
    const { text, parsed } = roundTrip(g);
    expect(text).toContain('input %x : i8[1,16] frac=5\n');
    expect(text).toContain('const %k : i8[1,16] frac=-2 = [-128, -111,');
    expect(text).toContain('%y : i8[1,16] frac=5 = Add(%x, %k) @"add"');
    expect(text).toContain('%z : i8[1,16] = Relu(%y) @"relu"');
    expect(parsed.values.map((v) => v.quant?.frac)).toEqual([5, -2, 5, undefined]);
  });

  it('prints every attr kind sorted, with special numbers', () => {
    // Attrs are generic plain data: the printer/parser do not need the op to use them.
    const attrs = { zeta: 'a "s"', alpha: 1.5e-7, big: 1e21, neg: -0, on: true, off: false, arr: [1, -2, 0.5], empty: [] as number[],
      pinf: Infinity, ninf: -Infinity, nan: NaN, 'odd key': 3, skipped: undefined };
    const b = new GraphBuilder('a', 13);
    const x = b.addValue('x', { dtype: 'float32', shape: [1] });
    const [y] = b.addNode('id', { kind: 'Identity', attrs: attrs as unknown as Record<string, never> }, [x], ['y']);
    const text = printGraph(b.finish([x], [y!]));
    expect(text).toContain('= Identity(%x) {alpha=1.5e-7, arr=[1,-2,0.5], big=1e+21, empty=[], nan=nan, neg=-0, ninf=-inf, '
      + '"odd key"=3, off=false, on=true, pinf=inf, zeta="a \\"s\\""} @"id"');
    const parsed = parseGraph(text);
    const pa = parsed.nodes[0]!.op.attrs as Record<string, unknown>;
    expect(pa).toEqual(attrs);
    expect('skipped' in pa).toBe(false);
    expect(Object.is(pa['neg'], -0)).toBe(true);
    expect(printGraph(parsed)).toBe(text);
  });
});

describe('parseGraph', () => {
  it('inverts the printer for the example and the parsed graph computes the same result', () => {
    const g = tinyConvGraph();
    const { parsed } = roundTrip(g);
    const x = floatTensor([1, 1, 4, 4], Array.from({ length: 16 }, (_, i) => Math.sin(i)));
    const [a] = runGraph(g, [x]);
    const [p] = runGraph(parsed, [x]);
    expect(Array.from(p!.data)).toEqual(Array.from(a!.data));
  });

  it('accepts blank lines, comments, CRLF and input data', () => {
    const text = '# comment\r\ngraph "g" opset 13 {\r\n\r\n  input %x : f32[2] = [1, 2]\r\n  # inside\r\n  output %x\r\n}\r\n';
    const g = parseGraph(text);
    expect(g.inputs).toEqual([0]);
    expect(Array.from(g.values[0]!.data!.data)).toEqual([1, 2]);
    expect(printGraph(g)).toBe('graph "g" opset 13 {\n  input %x : f32[2] = [1, 2]\n  output %x\n}\n');
  });

  it('parses scalars, empty tensors and integer dtypes', () => {
    const text = [
      'graph "s" opset 13 {',
      '  const %s : f32[] = [2.5]',
      '  const %e : f32[0,3] = []',
      '  const %i : i64[2] = [-9007199254740991, 9007199254740991]',
      '  const %b : bool[2] = [0, 1]',
      '  %t : f32[] = Mul(%s, %s) @""',
      '  output %t',
      '  output %e',
      '  output %i',
      '  output %b',
      '}',
      '',
    ].join('\n');
    expect(printGraph(parseGraph(text))).toBe(text);
  });

  const header = 'graph "g" opset 13 {\n  input %x : f32[1,2]\n';
  const cases: [string, string, RegExp][] = [
    ['unknown op', `${header}  %y : f32[1,2] = Frobnicate(%x) @"n"\n  output %y\n}\n`, /line 3: unknown op 'Frobnicate'/],
    ['bad dtype', `graph "g" opset 13 {\n  input %x : f33[1,2]\n}\n`, /line 2: unknown dtype 'f33'/],
    ['bad dimension', `graph "g" opset 13 {\n  input %x : f32[1,-2]\n}\n`, /line 2: negative dimension -2/],
    ['elided constant', `${header}  const %w : f32[64] = elided(crc32=0123abcd)\n  output %x\n}\n`,
      /line 3: constant %w is elided \(crc32=0123abcd\)/],
    ['missing value', `${header}  %y : f32[1,2] = Add(%x, %z) @"n"\n  output %y\n}\n`, /line 3: unknown value %z/],
    ['missing output value', `${header}  output %"no such"\n}\n`, /line 3: unknown value %"no such"/],
    ['type mismatch', `${header}  %y : f32[1,3] = Relu(%x) @"n"\n}\n`, /line 3: output %y is declared f32\[1,3\] but Relu infers f32\[1,2\]/],
    ['dtype mismatch', `${header}  %y : i8[1,2] = Relu(%x) @"n"\n}\n`, /line 3: output %y is declared i8\[1,2\] but Relu infers f32\[1,2\]/],
    ['inference failure', `${header}  const %k : f32[3] = [1, 2, 3]\n  %y : f32[1,2] = Add(%x, %k) @"n"\n}\n`,
      /line 4: shape mismatch: cannot broadcast \[1,2\] with \[3\] \(at node 'n' \(Add\)\)/],
    ['arity', `${header}  %y : f32[1,2] = Relu(%x, %x) @"n"\n}\n`, /line 3: Relu takes 1\.\.1 inputs, got 2/],
    ['output count', `${header}  %y : f32[1,2], %z : f32[1,2] = Relu(%x) @"n"\n}\n`, /line 3: Relu produces 1 output\(s\), the line declares 2/],
    ['duplicate value', `${header}  %x : f32[1,2] = Relu(%x) @"n"\n}\n`, /line 3: value %x is defined twice/],
    ['wrong element count', `${header}  const %k : f32[3] = [1, 2]\n}\n`, /line 3: constant %k has 2 elements, f32\[3\] needs 3/],
    ['int out of range', `${header}  const %k : i8[1] = [200]\n}\n`, /line 3: constant %k: 200 is out of range for int8/],
    ['non-integer int', `${header}  const %k : i32[1] = [1.5]\n}\n`, /line 3: constant %k: 1.5 is not a valid int32 element/],
    ['missing node name', `${header}  %y : f32[1,2] = Relu(%x)\n}\n`, /line 3: expected the node name '@"\.\.\."'/],
    ['trailing garbage', `${header}  output %x extra\n}\n`, /line 3: unexpected 'extra'/],
    ['unterminated string', `${header}  %y : f32[1,2] = Relu(%x) @"n\n}\n`, /line 3: unterminated string/],
    ['bad header', 'graf "g" opset 13 {\n}\n', /line 1: expected 'graph'/],
    ['missing close', `${header}  output %x\n`, /missing closing '}'/],
    ['text after close', `${header}}\n  output %x\n`, /line 4: text after the closing '}' on line 3/],
    ['unknown statement', `${header}  outptu %x\n}\n`, /line 3: unknown statement 'outptu'/],
    ['empty input', '', /line 1: missing header/],
    ['duplicate attr', `${header}  %y : f32[1,2] = Relu(%x) {a=1, a=2} @"n"\n}\n`, /line 3: duplicate attribute a/],
    ['bad omitted input', `${header}  %y : f32[1,2] = Relu(_x) @"n"\n}\n`, /line 3: expected a value \(%name\) or '_'/],
    ['empty value name', `graph "g" opset 13 {\n  input %"" : f32[1]\n}\n`, /line 2: empty value name/],
  ];
  for (const [what, text, re] of cases) {
    it(`reports ${what} with its line number (SAC031)`, () => {
      const err = parseError(text);
      expect(err.message).toMatch(re);
      expect(err.format()).toContain('error SAC031: IR parse error: line ');
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Property test: random small graphs over the core ops (Conv, Add, Sub, Mul, Div, Relu, Reshape, Identity).

const ODD_NAMES = ['x', 'conv/w:0', 'a.b-c', 'with space', 'ünï', 'q"uote', 'line\nbreak', '9lead', '_', 'tab\tx', 'semi;colon', 'v'];
const FLOAT_SPECIALS = [0, -0, 0.1, -1.5, 1 / 3, 1e-45, -3.4028234663852886e38, Infinity, -Infinity, NaN, 65504, 2 ** -20];
const INT_DTYPES: DType[] = ['int8', 'int16', 'int32', 'int64', 'uint8'];

function randName(rng: Rng, prefix: string): string {
  return chance(rng, 0.5) ? pick(rng, ODD_NAMES) : `${prefix}${randInt(rng, 0, 99)}`;
}

function randData(rng: Rng, dtype: DType, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    if (dtype === 'float32') out.push(chance(rng, 0.2) ? pick(rng, FLOAT_SPECIALS) : (rng() - 0.5) * 10 ** randInt(rng, -8, 8));
    else if (dtype === 'uint8') out.push(randInt(rng, 0, 255));
    else if (dtype === 'int8') out.push(randInt(rng, -128, 127));
    else if (dtype === 'int16') out.push(randInt(rng, -32768, 32767));
    else out.push(randInt(rng, -1e6, 1e6));
  }
  return out;
}

function randQuant(rng: Rng, dtype: DType): Quant | undefined {
  return dtype !== 'float32' && chance(rng, 0.5) ? { frac: randInt(rng, -4, 12) } : undefined;
}

function randTensor(rng: Rng, dtype: DType, shape: readonly number[]): Tensor {
  return tensor(dtype, shape, randData(rng, dtype, numel(shape)));
}

/** A shape that broadcasts to `shape`: some dims set to 1, maybe a dropped prefix. */
function broadcastable(rng: Rng, shape: readonly number[]): number[] {
  const s = shape.map((d) => (chance(rng, 0.4) ? 1 : d));
  return s.slice(randInt(rng, 0, s.length));
}

function randomGraph(seed: number): Graph {
  const rng = mulberry32(seed);
  const dtype: DType = chance(rng, 0.7) ? 'float32' : pick(rng, INT_DTYPES);
  const b = new GraphBuilder(randName(rng, 'graph'), pick(rng, [11, 13, 17, 21]));
  const pool: number[] = [];
  const inputs: number[] = [];
  const type = (id: number): TensorType => b.value(id).type;
  for (let i = randInt(rng, 1, 2); i > 0; i--) {
    const shape = [1, randInt(rng, 1, 4), randInt(rng, 1, 6), randInt(rng, 1, 6)];
    const quant = randQuant(rng, dtype);
    const id = b.addValue(randName(rng, 'in'), { dtype, shape }, quant ? { quant } : {});
    inputs.push(id);
    pool.push(id);
  }
  const addConst = (shape: readonly number[]): number => {
    const id = b.addConst(randName(rng, 'c'), randTensor(rng, dtype, shape), randQuant(rng, dtype));
    if (chance(rng, 0.3)) pool.push(id);
    return id;
  };
  for (let step = randInt(rng, 1, 8); step > 0; step--) {
    const a = pick(rng, pool);
    const t = type(a);
    const nodeName = chance(rng, 0.1) ? '' : randName(rng, 'n');
    const outName = [randName(rng, 'v')];
    const outQ = [randQuant(rng, dtype)];
    let outs: number[];
    let choice = randInt(rng, 0, 5);
    if (choice === 0 && t.shape.length !== 4) choice = 4;
    if (choice === 0) {
      const C = t.shape[1]!;
      const groups = [1, 2, 3, 4].filter((g) => C % g === 0);
      const group = pick(rng, groups);
      const M = group * randInt(rng, 1, 2);
      let kernel = [randInt(rng, 1, 3), randInt(rng, 1, 3)];
      const pads = [0, 0, 0, 0].map(() => randInt(rng, 0, 1));
      const strides = [randInt(rng, 1, 2), randInt(rng, 1, 2)];
      const dilations = [randInt(rng, 1, 2), randInt(rng, 1, 2)];
      const fits = [0, 1].every((i) => t.shape[i + 2]! + pads[i]! + pads[i + 2]! >= (kernel[i]! - 1) * dilations[i]! + 1);
      if (!fits) kernel = [1, 1];
      const w = addConst([M, C / group, ...kernel]);
      const ins = [a, w];
      const bias = randInt(rng, 0, 2);
      if (bias === 1) ins.push(addConst([M]));
      if (bias === 2) ins.push(-1);
      outs = b.addNode(nodeName, conv(kernel, { group, strides, pads, dilations }), ins, outName, undefined, outQ);
    } else if (choice <= 2) {
      const kind = pick(rng, ['Add', 'Sub', 'Mul', 'Div'] as const);
      const same = pool.filter((p) => p !== a && type(p).dtype === t.dtype && type(p).shape.join() === t.shape.join());
      const other = same.length && chance(rng, 0.5) ? pick(rng, same) : addConst(broadcastable(rng, t.shape));
      const ins = chance(rng, 0.5) ? [a, other] : [other, a];
      outs = b.addNode(nodeName, bin(kind), ins, outName, undefined, outQ);
    } else if (choice === 3) {
      const n = numel(t.shape);
      const shape = pick(rng, [[n], [1, n], [...t.shape].reverse(), [1, ...t.shape], t.shape.filter((d) => d !== 1)]);
      outs = b.addNode(nodeName, reshape(shape), [a], outName, undefined, outQ);
    } else {
      outs = b.addNode(nodeName, choice === 4 ? relu : { kind: 'Identity', attrs: {} }, [a], outName, undefined, outQ);
    }
    pool.push(...outs);
  }
  const outputs = [pool[pool.length - 1]!];
  if (chance(rng, 0.4)) outputs.push(pick(rng, pool));
  return b.finish(inputs, outputs);
}

describe('random graphs', () => {
  it('print(parse(print(g))) === print(g) and the verifier accepts the parsed graph (300 seeds)', () => {
    const seen = { elided: 0, omitted: 0, quant: 0, quoted: 0, conv: 0, grouped: 0, reshape: 0, binary: 0, int: 0 };
    for (let seed = 1; seed <= 300; seed++) {
      const g = randomGraph(seed);
      verifyGraph(g, `generator (seed ${seed})`);
      const text = printGraph(g, ALL);
      let parsed: Graph;
      try {
        parsed = parseGraph(text);
      } catch (e) {
        throw new Error(`seed ${seed}: ${(e as Error).message}\n${text}`);
      }
      verifyGraph(parsed, `parseGraph (seed ${seed})`);
      expect(printGraph(parsed, ALL), `seed ${seed}`).toBe(text);
      // Default (elided) printing is deterministic too and the same after a round trip.
      const short = printGraph(g);
      expect(printGraph(parsed)).toBe(short);
      const count = (k: keyof typeof seen, re: RegExp): void => { if (re.test(short)) seen[k]++; };
      count('elided', /elided\(/);
      count('omitted', /, _\)/);
      count('quant', / frac=/);
      count('quoted', /%"/);
      count('conv', /= Conv\(/);
      count('grouped', /group=[2-9]/);
      count('reshape', /= Reshape\(/);
      count('binary', /= (Add|Sub|Mul|Div)\(/);
      count('int', /: i(8|16|32|64)\[/);
      // Same graph: structure, names and constant bits.
      expect(parsed.nodes.length).toBe(g.nodes.length);
      const byName = new Map(parsed.values.map((v) => [v.name, v]));
      for (const v of g.values) {
        const p = byName.get(v.name);
        expect(p, `seed ${seed}: value ${v.name}`).toBeDefined();
        expect(p!.type).toEqual(v.type);
        expect(p!.quant).toEqual(v.quant);
        if (v.data) {
          expect(p!.data!.dtype).toBe(v.data.dtype);
          expect(Buffer.from(tensorBytes(p!.data!)).equals(Buffer.from(tensorBytes(v.data))), `seed ${seed}: data of ${v.name}`).toBe(true);
        }
      }
    }
    // The generator exercises every feature of the format.
    for (const [k, n] of Object.entries(seen)) expect(n, `graphs with ${k}`).toBeGreaterThan(5);
  });
});

describe('golden IR', () => {
  it('tiny Conv+Relu+Reshape graph (test/golden/tiny-conv.ir)', () => {
    const g = tinyConvGraph();
    verifyGraph(g);
    expectGolden('tiny-conv.ir', printGraph(g));
    expect(printGraph(parseGraph(printGraph(g, ALL)))).toBe(printGraph(g));
  });
});
