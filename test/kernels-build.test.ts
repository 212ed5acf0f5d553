// The committed WebAssembly of src/accel/*.c is what its C source compiles to (when clang and wasm-ld are here).
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const has = (tool: string) => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;

describe('kernel build', () => {
  it.skipIf(!has('clang') || !has('wasm-ld'))('src/accel/*-wasm.ts are up to date with their C sources', () => {
    // --check rebuilds into a temporary file and fails (exit 1, naming the file) on any difference.
    expect(() => execFileSync(process.execPath, ['scripts/build-kernels.mjs', '--check'], { stdio: 'pipe' })).not.toThrow();
  });
});
