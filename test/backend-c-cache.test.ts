// The C build cache is checked, not trusted: tampered or corrupted binaries are rebuilt, shared folders refused.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildHost, runHost } from '../src/backends/c/run.js';
import { ShiftaddcError } from '../src/diagnostics.js';
import { runInteger } from '../src/ir/interp-int.js';
import type { Graph } from '../src/ir/graph.js';
import { allocData, numel, tensor, type Tensor } from '../src/ir/tensor.js';
import { compileCase, tinyCnn } from './backend-c-models.js';
import { mulberry32 } from './helpers/prng.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sac-cache-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const bytes = (t: { data: ArrayBufferView }) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
const codeOf = (f: () => unknown) => {
  try { f(); } catch (e) { if (e instanceof ShiftaddcError) return `${e.code} ${e.message}`; throw e; }
  return 'ok';
};

function randomInput(g: Graph, n: number, seed: number): Tensor {
  const v = g.values[g.inputs[0]!]!;
  const rng = mulberry32(seed);
  const data = allocData(v.type.dtype, n * numel(v.type.shape));
  for (let i = 0; i < data.length; i++) data[i] = -128 + Math.floor(rng() * 256);
  return tensor(v.type.dtype, [n * v.type.shape[0]!, ...v.type.shape.slice(1)], data);
}

describe('C build cache', () => {
  const g = compileCase('tiny', tinyCnn(1)).graph;
  const x = randomInput(g, 3, 7);
  const want = runInteger(g, [x]).map(bytes);

  it('rebuilds a cached binary that was replaced by a script or corrupted, and never runs it', () => {
    const cache = path.join(dir, 'a');
    const first = buildHost(g, { cacheDir: cache, name: 'tiny' });
    expect(first.cached).toBe(false);
    expect(buildHost(g, { cacheDir: cache, name: 'tiny' }).cached).toBe(true);
    const marker = path.join(dir, 'ran');
    fs.writeFileSync(first.path, `#!/bin/sh\ntouch '${marker}'\n`, { mode: 0o755 });
    const again = buildHost(g, { cacheDir: cache, name: 'tiny' });
    expect(again.cached).toBe(false);
    expect(runHost(again, [x]).map(bytes)).toEqual(want);
    expect(fs.existsSync(marker)).toBe(false);
    const bin = fs.readFileSync(again.path);
    bin[bin.length >> 1] ^= 0xff;
    fs.writeFileSync(again.path, bin);
    expect(buildHost(g, { cacheDir: cache, name: 'tiny' }).cached).toBe(false);
    fs.rmSync(`${again.path}.sha256`);
    expect(buildHost(g, { cacheDir: cache, name: 'tiny' }).cached).toBe(false);
  });

  it('rewrites a tampered cached source before building', () => {
    const cache = path.join(dir, 'b');
    const p = buildHost(g, { cacheDir: cache, name: 'tiny' });
    const src = path.join(path.dirname(p.path), 'tiny.c');
    const good = fs.readFileSync(src, 'utf8');
    fs.writeFileSync(src, good.replace('return 0;', 'return 1;'));
    fs.rmSync(p.path);
    const q = buildHost(g, { cacheDir: cache, name: 'tiny' });
    expect(fs.readFileSync(src, 'utf8')).toBe(good);
    expect(runHost(q, [x]).map(bytes)).toEqual(want);
  });

  it('refuses a cache folder others can write, or a symlink', () => {
    const shared = path.join(dir, 'shared');
    fs.mkdirSync(shared);
    fs.chmodSync(shared, 0o777);
    expect(codeOf(() => buildHost(g, { cacheDir: shared, name: 'tiny' }))).toMatch(/^SAC064 .*writable by others \(mode 777\)/);
    const link = path.join(dir, 'link');
    fs.mkdirSync(path.join(dir, 'real'), { mode: 0o700 });
    fs.symlinkSync(path.join(dir, 'real'), link);
    expect(codeOf(() => buildHost(g, { cacheDir: link, name: 'tiny' }))).toMatch(/^SAC064 .*not a folder/);
  });
});
