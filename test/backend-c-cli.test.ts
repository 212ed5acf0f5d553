// `run`/`eval --backend c` and runC: the host-built generated C agrees with the integer interpreter, is cached, fails cleanly.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectDiagnostic, runCli } from './helpers/cli.js';
import { buildHost, runC, runHost } from '../src/backends/c/run.js';
import { cacheRoot } from '../src/backends/c/host.js';
import { ShiftaddcError } from '../src/diagnostics.js';
import { runInteger } from '../src/ir/interp-int.js';
import { readNpy, writeNpy } from '../src/io/npy.js';
import { allocData, numel, tensor, type Tensor } from '../src/ir/tensor.js';
import type { Graph } from '../src/ir/graph.js';
import { compileCase, geometryCnn, tinyCnn } from './backend-c-models.js';
import { mulberry32 } from './helpers/prng.js';

const root = path.resolve(__dirname, '..');
const ex = (f: string) => path.join(root, 'examples', f);
let dir = '';
let cache = '';

function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  return runCli(args, dir, { SHIFTADDC_CACHE: cache, ...env });
}

const lenet = ex('lenet.onnx');
const calib = ex('data/calib-256.npy');
let images = '';
const shift = ['--stage', 'shift', '--calibrate', calib];

beforeAll(() => {
  if (!fs.existsSync(path.join(root, 'dist', 'cli.js'))) throw new Error('dist/ missing: run `npm run build` (npm test does)');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shiftaddc-cback-'));
  cache = path.join(dir, 'cache');
  // Five test images: enough to exercise batching, cheap for the interpreter.
  const all = readNpy(fs.readFileSync(ex('data/test-images-16.npy')), 'images');
  const per = numel(all.shape.slice(1));
  images = path.join(dir, 'images-5.npy');
  fs.writeFileSync(images, writeNpy(tensor('float32', [5, ...all.shape.slice(1)], all.data.subarray(0, 5 * per))));
});

describe('shiftaddc run/eval --backend c', () => {
  it('run --backend c writes the same .npy as --backend interp, bit for bit; a second run reuses the cached binary', () => {
    const outC = path.join(dir, 'c.npy');
    const outI = path.join(dir, 'interp.npy');
    const c = cli(['run', lenet, ...shift, '--backend', 'c', '--input', images, '--output', outC]);
    expect(c.code, c.err).toBe(0);
    const built = c.out.match(/^C program (\S+) \(built\)$/m);
    expect(built, c.out).not.toBeNull();
    expect(built![1]!.startsWith(cache)).toBe(true);
    const i = cli(['run', lenet, ...shift, '--backend', 'interp', '--input', images, '--output', outI]);
    expect(i.code, i.err).toBe(0);
    expect(i.out).not.toMatch(/C program/);
    expect(fs.readFileSync(outC).equals(fs.readFileSync(outI))).toBe(true);
    expect(readNpy(fs.readFileSync(outC), 'c').shape).toEqual([5, 10]);
    const mtime = fs.statSync(built![1]!).mtimeMs;
    const again = cli(['run', lenet, ...shift, '--backend', 'c', '--input', images]);
    expect(again.code, again.err).toBe(0);
    expect(again.out).toContain(`C program ${built![1]} (cached)`);
    expect(fs.statSync(built![1]!).mtimeMs).toBe(mtime);
    expect(fs.readdirSync(path.dirname(built![1]!)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }, 240_000);

  it('eval --backend c --json reports the C backend and the interpreter\'s shift top-1', () => {
    const args = ['eval', lenet, '--calibrate', calib, '--data', ex('data/test-images-16.npy'), '--labels', ex('data/test-labels-16.npy'), '--json'];
    const c = cli([...args, '--backend', 'c']);
    expect(c.code, c.err).toBe(0);
    const i = cli(args);
    expect(i.code, i.err).toBe(0);
    const jc = JSON.parse(c.out);
    const ji = JSON.parse(i.out);
    expect(jc.backend).toBe('c');
    expect(ji.backend).toBe('interp');
    expect(jc.c.program.startsWith(cache)).toBe(true);
    expect(jc.shift.top1).toBe(ji.shift.top1);
    expect(jc.agreement).toBe(ji.agreement);
  }, 180_000);

  it('missing host compiler: exit 1, one-line SAC061, no stack', () => {
    const r = cli(['run', lenet, ...shift, '--backend', 'c', '--input', images], { CC: '/nonexistent' });
    expectDiagnostic(r, 'SAC061');
    expect(r.err).toMatch(/\/nonexistent/);
    expectDiagnostic(cli(['eval', lenet, '--calibrate', calib, '--data', images, '--labels', images, '--backend', 'c'], { CC: '/nonexistent' }), 'SAC061');
  });

  it('run --backend c --weights packed builds the packed C (not the auto form); --cc picks the compiler', () => {
    const built = (r: { out: string }) => /^C program (\S+) \((built|cached)\)$/m.exec(r.out)![1]!;
    const forms = (bin: string) => fs.readdirSync(path.dirname(bin)).filter((f) => f.endsWith('.h')).map((f) => fs.readFileSync(path.join(path.dirname(bin), f), 'utf8'))[0]!;
    const packed = cli(['run', lenet, ...shift, '--backend', 'c', '--weights', 'packed', '--input', images]);
    expect(packed.code, packed.err).toBe(0);
    const auto = cli(['run', lenet, ...shift, '--backend', 'c', '--input', images]);
    expect(auto.code, auto.err).toBe(0);
    expect(path.dirname(built(packed))).not.toBe(path.dirname(built(auto)));
    const h = forms(built(packed));
    expect(h).toMatch(/Forms: L\d+ packed/);
    expect(h).not.toMatch(/L\d+ (code|dense|sparse)/);
    expect(forms(built(auto))).toMatch(/L\d+ code/);
    // Same outputs whatever the weight form: the tensors are the interpreter's.
    expect(packed.out.split('\n').slice(1)).toEqual(auto.out.split('\n').slice(1));
    expectDiagnostic(cli(['run', lenet, ...shift, '--backend', 'c', '--cc', '/nonexistent/cc', '--input', images]), 'SAC061');
  });

  it('--backend c with the float stage, and an unknown backend, are SAC040', () => {
    expectDiagnostic(cli(['run', lenet, '--backend', 'c', '--input', images]), 'SAC040');
    expectDiagnostic(cli(['run', lenet, ...shift, '--backend', 'nosuch', '--input', images]), 'SAC040');
  });
});

/** Random integer inputs over the full range of the graph input dtype, `n` samples stacked. */
function randomInput(g: Graph, n: number, seed: number): Tensor {
  const v = g.values[g.inputs[0]!]!;
  const rng = mulberry32(seed);
  const bits = v.type.dtype === 'int16' ? 16 : 8;
  const data = allocData(v.type.dtype, n * numel(v.type.shape));
  for (let i = 0; i < data.length; i++) data[i] = -(2 ** (bits - 1)) + Math.floor(rng() * 2 ** bits);
  return tensor(v.type.dtype, [n * v.type.shape[0]!, ...v.type.shape.slice(1)], data);
}

const bytes = (t: Tensor) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof ShiftaddcError) return e.code;
    throw e;
  }
  return undefined;
}

describe('runC library API', () => {
  const cases = [['tiny', () => compileCase('tiny', tinyCnn(1))], ['geom16', () => compileCase('geom16', geometryCnn(8), { actBits: 16 })]] as const;
  for (const [name, mk] of cases) {
    it(`${name}: runC on a batch equals runInteger (dtype, shape, data); buildHost reports the cache`, () => {
      const g = mk().graph;
      const x = randomInput(g, 6, 21);
      const got = runC(g, [x], { cacheDir: cache, name });
      const want = runInteger(g, [x]);
      expect(got.map((t) => [t.dtype, t.shape])).toEqual(want.map((t) => [t.dtype, t.shape]));
      got.forEach((t, k) => expect(bytes(t).equals(bytes(want[k]!))).toBe(true));
      const p = buildHost(g, { cacheDir: cache, name });
      expect(p.cached).toBe(true);
      const one = randomInput(g, 1, 5);
      expect(runHost(p, [one]).map(bytes)).toEqual(runInteger(g, [one]).map(bytes));
    });
  }

  it('rejects inputs that do not match the graph (SAC021) and an unwritable cache (SAC064)', () => {
    const g = compileCase('tiny', tinyCnn(1)).graph;
    const bad = tensor('float32', g.values[g.inputs[0]!]!.type.shape, undefined);
    expect(codeOf(() => runC(g, [bad], { cacheDir: cache }))).toBe('SAC021');
    const file = path.join(dir, 'not-a-folder');
    fs.writeFileSync(file, '');
    expect(codeOf(() => buildHost(g, { cacheDir: path.join(file, 'sub') }))).toBe('SAC064');
  });

  it('a C build failure is a one-line SAC062 naming the build log', () => {
    const g = compileCase('tiny', tinyCnn(1)).graph;
    try {
      buildHost(g, { cacheDir: cache, cc: 'cc -include /nonexistent/missing.h' });
      expect.unreachable();
    } catch (e) {
      expect((e as ShiftaddcError).code).toBe('SAC062');
      const line = (e as ShiftaddcError).format();
      expect(line).not.toMatch(/\n/);
      expect(fs.readFileSync(line.match(/full log: (\S+)\)/)![1]!, 'utf8')).toMatch(/missing\.h/);
    }
  });

  it('cache folder: SHIFTADDC_CACHE, else XDG_CACHE_HOME/shiftaddc, else ~/.cache/shiftaddc', () => {
    expect(cacheRoot({ SHIFTADDC_CACHE: '/a/b', XDG_CACHE_HOME: '/x' })).toBe('/a/b');
    expect(cacheRoot({ XDG_CACHE_HOME: '/x' })).toBe('/x/shiftaddc');
    expect(cacheRoot({})).toBe(path.join(os.homedir(), '.cache', 'shiftaddc'));
  });

  it('compile --target c --weights packed emits the Huffman form; an unknown form is SAC040 listing packed', () => {
    const out = path.join(dir, 'packed');
    const r = cli(['compile', lenet, '--calibrate', calib, '-o', out, '--target', 'c', '--name', 'net', '--weights', 'packed']);
    expect(r.code, r.err).toBe(0);
    const c = fs.readFileSync(path.join(out, 'net.c'), 'utf8');
    expect(c).toMatch(/static void L\d+_dec\(sac_bits \*r/);
    expect(c).toMatch(/static uint32_t L\d+_dot\(sac_bits \*r/);
    expect(fs.readFileSync(path.join(out, 'net.h'), 'utf8')).toMatch(/Forms: L\d+ packed/);
    const bad = cli(['compile', lenet, '--calibrate', calib, '-o', out, '--target', 'c', '--weights', 'huffman']);
    expectDiagnostic(bad, 'SAC040');
    expect(bad.err).toContain('auto, data, packed, code or list');
  });

  it('compile --target c defaults to --avg-terms 0.9 (lists and code), unless --terms or --avg-terms is given; other targets keep --terms 2', () => {
    const opts = (args: string[]) => {
      const out = path.join(dir, `defaults-${args.join('')}`);
      const r = cli(['compile', lenet, '--calibrate', calib, '-o', out, ...args]);
      expect(r.code, r.err).toBe(0);
      return JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')).options as { terms: number; avgTerms?: number };
    };
    expect(opts(['--target', 'c'])).toMatchObject({ terms: 2, avgTerms: 0.9 });
    expect(opts(['--target', 'c', '--terms', '2']).avgTerms).toBeUndefined();
    expect(opts(['--target', 'c', '--avg-terms', '1.5']).avgTerms).toBe(1.5);
    expect(opts([]).avgTerms).toBeUndefined();
    expect(fs.readFileSync(path.join(dir, 'defaults---targetc', 'lenet.h'), 'utf8')).toMatch(/Forms: .*L\d+ list/);
  });

  it('compile --target c --ram-budget tiles lenet under the budget and says so; an unmeetable budget is one SAC066 line, nothing written', () => {
    const out = path.join(dir, 'budget');
    const r = cli(['compile', lenet, '--calibrate', calib, '-o', out, '--target', 'c', '--name', 'net', '--ram-budget', '3000']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/--ram-budget 3000: arena \d+ bytes untiled; tiled \d+ layers from '[^']+' in \d+ patches of \d+x\d+/);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(report.target.name).toBe('c');
    expect(report.target.memory.arenaBytes).toBeLessThanOrEqual(3000);
    expect(report.target.tiling.segments.length).toBeGreaterThan(0);
    expect(Number(/#define NET_ARENA_SIZE (\d+)/.exec(fs.readFileSync(path.join(out, 'net.h'), 'utf8'))![1])).toBe(report.target.memory.arenaBytes);
    expect(fs.readFileSync(path.join(out, 'report.md'), 'utf8')).toMatch(/## Target c[\s\S]*\| tiled layers \|/);
    // Same integer outputs through the tiled C as through the interpreter.
    const [oi, oc] = [path.join(dir, 'budget-i.npy'), path.join(dir, 'budget-c.npy')];
    expect(cli(['run', lenet, '--input', images, ...shift, '--output', oi]).code).toBe(0);
    const c = cli(['run', lenet, '--input', images, ...shift, '--backend', 'c', '--ram-budget', '3000', '--output', oc]);
    expect(c.code, c.err).toBe(0);
    expect(fs.readFileSync(oc).equals(fs.readFileSync(oi))).toBe(true);
    const none = path.join(dir, 'budget-none');
    const bad = cli(['compile', lenet, '--calibrate', calib, '-o', none, '--target', 'c', '--ram-budget', '64']);
    expectDiagnostic(bad, 'SAC066');
    expect(bad.err).toMatch(/smallest budget the tiler meets is \d+ bytes/);
    expect(fs.existsSync(none)).toBe(false);
    expectDiagnostic(cli(['compile', lenet, '--calibrate', calib, '-o', none, '--target', 'c', '--ram-budget', '12k']), 'SAC040');
  });
});
