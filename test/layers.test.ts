// Import layering: src/ir imports nothing above it (no accelerators, passes, backends); io and util stay neutral.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve('src');

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every relative module a file imports or re-exports, as a path relative to src/. */
function imports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(/^(?:import|export)[^'"]*from\s+'(\.[^']+)'|^import\s+'(\.[^']+)'/gm)]
    .map((m) => path.relative(SRC, path.resolve(path.dirname(file), m[1] ?? m[2]!)));
}

/** The imports of the files under `layer` that fall outside `allowed` (folders or files relative to src/). */
function outside(layer: string, allowed: readonly string[]): string[] {
  return files(path.join(SRC, layer)).flatMap((f) => imports(f)
    .filter((i) => !allowed.some((a) => i === a || i.startsWith(`${a}/`)))
    .map((i) => `${path.relative(SRC, f)} -> ${i}`));
}

describe('layering', () => {
  it('src/ir imports only itself, diagnostics and util', () => {
    expect(files(path.join(SRC, 'ir')).length).toBeGreaterThan(10);
    expect(outside('ir', ['ir', 'diagnostics.js', 'util'])).toEqual([]);
  });
  it('src/io and src/util import no frontend, testing or accelerator code', () => {
    expect(outside('io', ['io', 'diagnostics.js', 'util', 'ir'])).toEqual([]);
    expect(outside('util', ['util'])).toEqual([]);
  });
  it('passes do not import the test harness', () => {
    expect(outside('passes', ['passes', 'ir', 'diagnostics.js', 'util', 'accel'])).toEqual([]);
  });
});
