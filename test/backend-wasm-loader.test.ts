// WebAssembly backend end to end: `compile --target wasm`, the generated NAME.mjs imported from a temp folder, `run`/`eval --backend wasm`.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseGraph } from '../src/ir/parser.js';
import { dequantizeOutput, quantizeInput, runInteger } from '../src/ir/interp-int.js';
import { readNpy } from '../src/io/npy.js';
import { runCli } from './helpers/cli.js';

const root = path.resolve(new URL('.', import.meta.url).pathname, '..');
const EX = path.join(root, 'examples');
const calib = path.join(EX, 'data', 'calib-256.npy');
const imagesFile = path.join(EX, 'data', 'test-images-16.npy');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sac-wasm-loader-'));
const cli = (...args: string[]) => runCli(args, dir);

interface Model {
  run(x: Int8Array | Float32Array): Int16Array | Float32Array;
  runBatch(x: Int8Array | Float32Array, n?: number): Int16Array | Float32Array;
  inputShape: readonly number[]; outputShape: readonly number[]; inputFrac: number; outputFrac: number; labels?: readonly string[];
}
interface Loader { load(source?: unknown): Promise<Model>; simdSupported(): boolean; inputShape: readonly number[]; labels?: readonly string[] }

describe('compile --target wasm: NAME.wasm + NAME.mjs + NAME.d.ts', () => {
  const out = path.join(dir, 'lenet');
  const r = cli('compile', path.join(EX, 'lenet.onnx'), '--calibrate', calib, '-o', out, '--target', 'wasm', '--emit-ir=full');

  it('writes the module, the loader and its types, and prints the summary line', () => {
    expect(r.code, r.err).toBe(0);
    expect(r.out.split('\n')[0]).toMatch(/^lenet\.wasm: \d+ bytes/);
    for (const f of ['lenet.wasm', 'lenet.scalar.wasm', 'lenet.mjs', 'lenet.d.ts']) expect(fs.existsSync(path.join(out, f)), f).toBe(true);
    const dts = fs.readFileSync(path.join(out, 'lenet.d.ts'), 'utf8');
    expect(dts).toContain('run(input: Int8Array): Int16Array;');
    expect(dts).toContain('export declare function load(source?: ModelSource): Promise<Model>;');
    const mjs = fs.readFileSync(path.join(out, 'lenet.mjs'), 'utf8');
    expect(mjs).toContain("new URL('./lenet.wasm', import.meta.url)");
    expect(mjs).toContain("new URL('./lenet.scalar.wasm', import.meta.url)");
  });

  it('the loader, imported from the output folder, computes runInteger\'s bits from bytes, a URL, a Response or nothing', async () => {
    const g = parseGraph(fs.readFileSync(path.join(out, 'lenet.shift.ir'), 'utf8'));
    const x = g.values[g.inputs[0]!]!;
    const o = g.values[g.outputs[0]!]!;
    const images = readNpy(fs.readFileSync(imagesFile), 'images');
    const q = quantizeInput(images, x.quant!.frac, 8);
    const want = runInteger(g, [q])[0]!;
    const L = (await import(pathToFileURL(path.join(out, 'lenet.mjs')).href)) as Loader;
    expect(L.inputShape).toEqual(x.type.shape);
    const wasmFile = path.join(out, 'lenet.wasm');
    const bytes = fs.readFileSync(wasmFile);
    const sources: [string, unknown][] = [
      ['nothing', undefined], ['bytes', new Uint8Array(bytes)], ['ArrayBuffer', bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)],
      ['URL', pathToFileURL(wasmFile)], ['relative string', './lenet.wasm'], ['Response', new Response(bytes, { headers: { 'content-type': 'application/octet-stream' } })],
      ['Response as application/wasm (streaming compile)', new Response(bytes, { headers: { 'content-type': 'application/wasm' } })],
      ['WebAssembly.Module', new WebAssembly.Module(bytes)], ['scalar file', './lenet.scalar.wasm'],
    ];
    expect(L.simdSupported()).toBe(true);
    // Count streaming compiles: only the Response served as application/wasm takes that path.
    const streaming = WebAssembly.instantiateStreaming;
    const streamed: string[] = [];
    for (const [what, src] of sources) {
      WebAssembly.instantiateStreaming = (...a) => { streamed.push(what); return streaming(...a); };
      const m = await L.load(src).finally(() => { WebAssembly.instantiateStreaming = streaming; });
      expect(m.outputShape, what).toEqual(o.type.shape);
      expect(m.inputFrac).toBe(x.quant!.frac);
      expect(m.outputFrac).toBe(o.quant!.frac);
      const per = m.inputShape.reduce((a, b) => a * b, 1);
      const first = m.run(new Int8Array(q.data.buffer, 0, per));
      expect(first).toBeInstanceOf(Int16Array);
      expect(Array.from(first), what).toEqual(Array.from(want.data.subarray(0, 10)));
      expect(Array.from(m.runBatch(q.data as Int8Array)), what).toEqual(Array.from(want.data));
    }
    expect(streamed).toEqual(['Response as application/wasm (streaming compile)']);
    // Float in: quantised with inputFrac exactly as quantizeInput does; float out: dequantised as dequantizeOutput.
    const m = await L.load();
    const fl = m.runBatch(images.data as Float32Array);
    expect(fl).toBeInstanceOf(Float32Array);
    expect(Array.from(fl)).toEqual(Array.from(dequantizeOutput(want, o.quant!.frac).data));
    expect(() => m.run(new Int8Array(3))).toThrow(RangeError);
    expect(() => m.run(new Uint8Array(784) as unknown as Int8Array)).toThrow(TypeError);
    expect(L.labels).toBeUndefined();
    expect(m.labels).toBeUndefined();
  });

  it('--class-names: the loader exports the names as labels (text or JSON, names kept exact); a wrong count is SAC040', async () => {
    const names = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', "Coat's \"best\"", 'Sandal', 'Shirt', 'Sneaker', 'Bag', '</script>`${x}`'];
    fs.writeFileSync(path.join(dir, 'names.txt'), `${names.join('\r\n')}\r\n`);
    fs.writeFileSync(path.join(dir, 'names.json'), JSON.stringify(names));
    for (const f of ['names.txt', 'names.json']) {
      const o = path.join(dir, `labels-${f}`);
      const r2 = cli('compile', path.join(EX, 'dwsep.onnx'), '--calibrate', calib, '-o', o, '--target', 'wasm', '--class-names', path.join(dir, f));
      expect(r2.code, r2.err).toBe(0);
      const L = (await import(pathToFileURL(path.join(o, 'dwsep.mjs')).href)) as Loader;
      expect(L.labels, f).toEqual(names);
      expect((await L.load()).labels, f).toEqual(names);
      expect(fs.readFileSync(path.join(o, 'dwsep.d.ts'), 'utf8')).toContain('readonly labels: readonly string[];');
    }
    fs.writeFileSync(path.join(dir, 'three.txt'), 'a\nb\nc\n');
    const bad = cli('compile', path.join(EX, 'dwsep.onnx'), '--calibrate', calib, '-o', path.join(dir, 'bad'), '--target', 'wasm', '--class-names', path.join(dir, 'three.txt'));
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/SAC040.*3 names.*10 elements/);
    expect(bad.err).not.toMatch(/\n\s+at /);
    expect(fs.existsSync(path.join(dir, 'bad', 'dwsep.wasm'))).toBe(false);
  });
});

describe('run / eval --backend wasm', () => {
  it('run --stage shift --backend wasm writes the interpreter\'s logits; eval reports the backend', () => {
    const base = ['run', path.join(EX, 'dwsep.onnx'), '--input', imagesFile, '--stage', 'shift', '--calibrate', calib];
    const a = cli(...base, '--backend', 'wasm', '--output', path.join(dir, 'a.npy'));
    expect(a.code, a.err).toBe(0);
    expect(a.out).toMatch(/^WebAssembly module \(SIMD, \d+ bytes, in process\)/);
    const b = cli(...base, '--output', path.join(dir, 'b.npy'));
    expect(b.code, b.err).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'a.npy')).equals(fs.readFileSync(path.join(dir, 'b.npy')))).toBe(true);
    const e = cli('eval', path.join(EX, 'dwsep.onnx'), '--data', imagesFile, '--labels', path.join(EX, 'data', 'test-labels-16.npy'), '--calibrate', calib, '--backend', 'wasm', '--json');
    expect(e.code, e.err).toBe(0);
    expect(JSON.parse(e.out).backend).toBe('wasm');
  });
});
