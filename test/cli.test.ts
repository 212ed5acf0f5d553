// CLI behaviour on good and bad input: one-line diagnostics, exit codes, no stack traces, no partial outputs.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectDiagnostic, runCli } from './helpers/cli.js';
import { readNpy, writeNpy } from '../src/io/npy.js';
import { buildModel, type ModelSpec } from './helpers/onnx-builder.js';
import { backends, emit, getBackend, runnerNames } from '../src/backends/registry.js';
import { parseGraph } from '../src/ir/parser.js';
import { sizeLine } from '../src/backends/c/size.js';

const root = path.resolve(__dirname, '..');
const lenet = path.join(root, 'examples', 'lenet.onnx');
let dir = '';

function cli(...args: string[]) {
  return runCli(args, dir);
}

const tiny: ModelSpec = {
  inputs: [{ name: 'x', shape: [1, 2] }],
  initializers: [{ name: 'w', dims: [2], data: [1, 2] }],
  nodes: [{ op: 'Mul', inputs: ['x', 'w'], outputs: ['y'], name: 'scale' }],
  outputs: ['y'],
};

function write(name: string, bytes: Uint8Array | string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, bytes);
  return p;
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shiftaddc-cli-'));
  if (!fs.existsSync(path.join(root, 'dist', 'shiftaddc.mjs'))) throw new Error('dist/shiftaddc.mjs missing: run `npm run build` (npm test does)');
});

describe('shiftaddc CLI', () => {
  it('prints help and exits 0', () => {
    const r = cli('--help');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/inspect/);
    expect(r.out).toMatch(/run/);
  });

  it('--version prints the package version and exits 0', () => {
    const r = cli('--version');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe(`${JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version}\n`);
  });

  it('inspects an example model with per-layer MACs', () => {
    const r = cli('inspect', lenet, '--json');
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out);
    expect(report.layers.some((l: { op: string }) => l.op === 'Conv')).toBe(true);
    expect(report.totals.macs).toBeGreaterThan(100_000);
  });

  it('runs a batch and writes float32 logits', () => {
    const out = path.join(dir, 'y.npy');
    const r = cli('run', lenet, '--input', path.join(root, 'examples', 'data', 'test-images-16.npy'), '--output', out);
    expect(r.code, r.err).toBe(0);
    const bytes = fs.readFileSync(out);
    expect(bytes.subarray(0, 6).toString('latin1')).toBe('\x93NUMPY');
    expect(bytes.toString('latin1')).toMatch(/'shape': \(16, 10\)/);
  });

  const modelCases: [string, () => string, string][] = [
    ['missing file', () => path.join(dir, 'nope.onnx'), 'SAC001'],
    ['empty file', () => write('empty.onnx', new Uint8Array()), 'SAC002'],
    ['truncated model', () => write('trunc.onnx', fs.readFileSync(lenet).subarray(0, 999)), 'SAC003'],
    ['random bytes', () => write('random.onnx', Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24)), 'SAC003'],
    ['missing initializer', () => write('noinit.onnx', buildModel({ ...tiny, initializers: [] })), 'SAC006'],
    ['dangling input', () => write('dangling.onnx', buildModel({ ...tiny, nodes: [{ op: 'Relu', inputs: ['ghost'], outputs: ['y'] }] })), 'SAC006'],
    ['cycle', () => write('cycle.onnx', buildModel({ inputs: [{ name: 'x', shape: [1, 2] }], nodes: [
      { op: 'Add', inputs: ['x', 'b'], outputs: ['a'], name: 'first' }, { op: 'Relu', inputs: ['a'], outputs: ['b'], name: 'second' }], outputs: ['b'] })), 'SAC007'],
    ['unsupported ops listed together', () => write('unsup.onnx', buildModel({ inputs: [{ name: 'x', shape: [1, 2] }], nodes: [
      { op: 'Frobnicate', inputs: ['x'], outputs: ['a'], name: 'f1' }, { op: 'LSTM', inputs: ['a'], outputs: ['y'], name: 'rnn' }], outputs: ['y'] })), 'SAC005'],
    ['dim of 2^40', () => write('huge.onnx', buildModel({ ...tiny, inputs: [{ name: 'x', shape: [1, 2 ** 40] }] })), 'SAC009'],
  ];
  for (const [label, make, code] of modelCases) {
    it(`inspect: ${label} -> ${code}`, () => expectDiagnostic(cli('inspect', make()), code));
  }

  it('lists every unsupported op with its first node', () => {
    const r = cli('inspect', write('unsup2.onnx', buildModel({ inputs: [{ name: 'x', shape: [1, 2] }], nodes: [
      { op: 'Frobnicate', inputs: ['x'], outputs: ['a'], name: 'f1' }, { op: 'Frobnicate', inputs: ['a'], outputs: ['b'], name: 'f2' },
      { op: 'LSTM', inputs: ['b'], outputs: ['y'], name: 'rnn' }], outputs: ['y'] })));
    expect(r.err).toMatch(/Frobnicate at node 'f1'/);
    expect(r.err).toMatch(/LSTM \(recurrent layers are out of scope\) at node 'rnn'/);
    expect(r.err).not.toMatch(/f2/);
  });

  it('rejects external data that escapes the model folder', () => {
    const m = onnx.ModelProto.decode(buildModel(tiny));
    const init = m.graph!.initializer![0]!;
    init.rawData = new Uint8Array();
    init.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    init.externalData = [onnx.StringStringEntryProto.create({ key: 'location', value: '../secret.bin' })];
    fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
    const file = path.join(dir, 'sub', 'escape.onnx');
    fs.writeFileSync(file, onnx.ModelProto.encode(m).finish());
    expectDiagnostic(cli('inspect', file), 'SAC010');
  });

  it('reads external data from inside the model folder', () => {
    const m = onnx.ModelProto.decode(buildModel(tiny));
    const init = m.graph!.initializer![0]!;
    fs.mkdirSync(path.join(dir, 'ext'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'ext', 'w.bin'), Buffer.concat([Buffer.alloc(4), Buffer.from(init.rawData!)]));
    init.rawData = new Uint8Array();
    init.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    init.externalData = [{ key: 'location', value: 'w.bin' }, { key: 'offset', value: '4' }, { key: 'length', value: '8' }].map((e) => onnx.StringStringEntryProto.create(e));
    const file = path.join(dir, 'ext', 'model.onnx');
    fs.writeFileSync(file, onnx.ModelProto.encode(m).finish());
    const x = write('x12.npy', writeNpy({ dtype: 'float32', shape: [1, 2], data: Float32Array.from([3, 4]) }));
    const r = cli('run', file, '--input', x, '--output', path.join(dir, 'ext-y.npy'));
    expect(r.code, r.err).toBe(0);
    const y = readNpy(new Uint8Array(fs.readFileSync(path.join(dir, 'ext-y.npy'))));
    expect([...y.data]).toEqual([3, 8]);
  });

  const npyCases: [string, () => string, string][] = [
    ['wrong shape', () => write('bad-shape.npy', writeNpy({ dtype: 'float32', shape: [1, 3], data: new Float32Array(3) })), 'SAC021'],
    ['unsupported dtype', () => write('bad-dtype.npy', writeNpy({ dtype: 'float32', shape: [1, 2], data: new Float32Array(2) }).map((b, i, a) => (i > 10 && a[i - 1] === 0x3c && b === 0x66 ? 0x63 : b))), 'SAC020'],
    ['truncated payload', () => write('bad-trunc.npy', writeNpy({ dtype: 'float32', shape: [1, 2], data: new Float32Array(2) }).subarray(0, 130)), 'SAC020'],
    ['not an npy file', () => write('bad-magic.npy', 'hello'), 'SAC020'],
  ];
  for (const [label, make, code] of npyCases) {
    it(`run: input ${label} -> ${code}, no output file left`, () => {
      const model = write('tiny.onnx', buildModel(tiny));
      const out = path.join(dir, `out-${code}-${label.replace(/\W/g, '')}.npy`);
      expectDiagnostic(cli('run', model, '--input', make(), '--output', out), code);
      expect(fs.existsSync(out)).toBe(false);
      expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    });
  }

  it('--debug adds a stack trace', () => {
    const r = cli('--debug', 'inspect', path.join(dir, 'nope.onnx'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/\n\s+at /);
  });
});

/** The diagnostic code a call throws (undefined if it returns). */
function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

describe('backends through the registry', () => {
  const calib = path.join(root, 'examples', 'data', 'calib-256.npy');
  const images = path.join(root, 'examples', 'data', 'test-images-16.npy');

  it('lists c, which declares its options; the interpreter is the default runner, not a backend', () => {
    expect(backends().map((b) => b.name)).toContain('c');
    expect(backends().map((b) => b.name)).not.toContain('interp');
    expect(runnerNames()[0]).toBe('interp');
    expect(runnerNames()).toContain('c');
    const c = getBackend('c');
    expect(c.options.map((o) => o.flag)).toEqual(expect.arrayContaining(['--name <name>', '--weights <form>']));
    expect(c.options.find((o) => o.key === 'weights')!.default).toBe('auto');
    expect(codeOf(() => getBackend('nosuch'))).toBe('SAC040');
    const help = cli('compile', '--help').out;
    expect(help).toMatch(/--weights <form>[\s\S]*\(default:\s+auto\)\s+\[--target\s+c\]/);
    expect(cli('run', '--help').out).toMatch(/--backend <backend>[\s\S]*interp\s+\(integer\s+interpreter\),\s+c\s+\(/);
  });

  it('an option of a target that is not selected is SAC040, not ignored, and writes no C', () => {
    const out = path.join(dir, 'no-target');
    const r = cli('compile', lenet, '--calibrate', calib, '-o', out, '--weights', 'packed');
    expectDiagnostic(r, 'SAC040');
    expect(r.err).toContain('--weights is an option of --target c');
    expect(r.err).toContain('add --target c');
    expect(fs.existsSync(out)).toBe(false);
    // --name no longer implies --target c: it is refused with the same hint.
    expectDiagnostic(cli('compile', lenet, '--calibrate', calib, '-o', out, '--name', 'net'), 'SAC040');
    const run = cli('run', lenet, '--input', images, '--stage', 'shift', '--calibrate', calib, '--weights', 'packed');
    expectDiagnostic(run, 'SAC040');
    expect(run.err).toContain('add --backend c');
    expectDiagnostic(cli('compile', lenet, '--calibrate', calib, '-o', out, '--target', 'nosuch'), 'SAC040');
  });

  it('emit() returns the bytes the CLI writes, and the stats behind its summary line', () => {
    const out = path.join(dir, 'emit');
    const r = cli('compile', lenet, '--calibrate', calib, '-o', out, '--target', 'c', '--name', 'net', '--weights', 'data', '--emit-ir=full');
    expect(r.code, r.err).toBe(0);
    const g = parseGraph(fs.readFileSync(path.join(out, 'lenet.shift.ir'), 'utf8'));
    const e = emit(g, 'c', { name: 'net', weights: 'data' });
    expect(e.files.map((f) => f.name)).toEqual(['net.h', 'net.c', 'net_io.c']);
    for (const f of e.files) expect(fs.readFileSync(path.join(out, f.name), 'utf8'), f.name).toBe(f.data);
    expect(r.out.split('\n')[0]).toBe(e.summary);
    const s = e.stats;
    expect(e.summary).toBe(`net.c: ${sizeLine(s.size!)}; arena lower bound ${s.memory.lowerBound} B; weight streams hold ${s.terms - s.codeTerms} terms (ideal ${s.idealBytes} bytes), ${s.codeTerms} terms as code`);
    expect(e.summary).toContain(`arena ${s.memory.arenaBytes} B`);
    // report.json carries the same size object (the figures measured by the same compiler, or exact ones).
    expect(JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')).size).toEqual(s.size);
    expect(s.codeTerms).toBe(0);
    expect(s.memory.lowerBound).toBeLessThanOrEqual(s.memory.arenaBytes);
    expect(s.ops).toBeGreaterThan(0);
    // The default name comes from the model file.
    expect(emit(g, 'c', {}, { model: '/x/lenet-v2.onnx' }).files[0]!.name).toBe('lenet_v2.h');
    expect(codeOf(() => emit(g, 'c', { weights: 'huffman' }))).toBe('SAC040');
    expect(codeOf(() => emit(g, 'c', { name: '1net' }))).toBe('SAC040');
  });
});
