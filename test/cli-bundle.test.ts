// The installed CLI runs the esbuild bundle: bin/shiftaddc.js must load dist/shiftaddc.mjs, which must be one
// self-contained file (only Node builtins imported) with every command in it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, runCli } from './helpers/cli.js';

const root = path.resolve(__dirname, '..');
const BUNDLE = path.join(root, 'dist', 'shiftaddc.mjs');

describe('CLI bundle', () => {
  it('bin/shiftaddc.js starts the worker, which imports dist/shiftaddc.mjs and nothing else from dist/', () => {
    const imports = (file: string) => [...fs.readFileSync(file, 'utf8').matchAll(/\bimport\s*\(\s*['"]([^'"]+)['"]|\bfrom\s+['"]([^'"]+)['"]|new URL\(\s*['"]([^'"]+)['"]/g)].map((m) => m[1] ?? m[2] ?? m[3]);
    expect(imports(BIN)).toEqual(['node:fs', 'node:v8', 'node:worker_threads', './shiftaddc-worker.js']);
    expect(imports(path.join(path.dirname(BIN), 'shiftaddc-worker.js'))).toEqual(['node:worker_threads', '../dist/shiftaddc.mjs']);
  });

  it('dist/shiftaddc.mjs exists with its source map and imports only Node builtins', () => {
    expect(fs.existsSync(BUNDLE), 'dist/shiftaddc.mjs missing: run `npm run build` (npm test does)').toBe(true);
    const src = fs.readFileSync(BUNDLE, 'utf8');
    expect(src).toMatch(/\n\/\/# sourceMappingURL=shiftaddc\.mjs\.map\n?$/);
    expect(fs.existsSync(`${BUNDLE}.map`)).toBe(true);
    // Static imports and re-exports (statements at the start of a line in esbuild's output), import(), require().
    const specifiers = [...src.matchAll(/^(?:import|export)\b[^;'"]*?(['"])([^'"]+)\1|\bimport\s*\(\s*(['"])([^'"]+)\3|require\s*\(\s*(['"])([^'"]+)\5/gm)]
      .map((m) => m[2] ?? m[4] ?? m[6]);
    expect(specifiers.length).toBeGreaterThan(0);
    expect(specifiers.filter((s) => !s!.startsWith('node:'))).toEqual([]);
    // No computed dynamic import either, but for the text of the generated WebAssembly loader (src/backends/wasm/loader.ts),
    // whose Node-only fs import is marked for bundlers with webpackIgnore.
    expect(src).not.toMatch(/\bimport\s*\(\s*(?!\/\* webpackIgnore: true \*\/)[^'"\s)]/);
  });

  it('bin/shiftaddc.js --version prints the package version', () => {
    const r = runCli(['--version'], root);
    expect(r.code, r.err).toBe(0);
    expect(r.out.trim()).toBe(JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version);
  });

  it('bin/shiftaddc.js --help lists every command', () => {
    const r = runCli(['--help'], root);
    expect(r.code, r.err).toBe(0);
    for (const cmd of ['inspect', 'compile', 'run', 'eval']) expect(r.out).toMatch(new RegExp(`^  ${cmd} \\[options\\] <model>`, 'm'));
  });

  it('--debug maps stack frames through the source map to src/*.ts', () => {
    const r = runCli(['--debug', 'inspect', 'missing.onnx'], root);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^shiftaddc: error SAC001: /);
    expect(r.err).toMatch(/\n\s+at .*src[\\/]api\.ts:\d+:\d+/);
  });
});
