// Module structure: no import cycle among the passes, and the IR never imports a pass.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

/** Every .ts file under `dir` with the files its relative imports/exports name (type-only ones too). */
function importGraph(dir: string): Map<string, string[]> {
  const files = (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => join(dir, f));
  return new Map(files.map((f) => [f, [...readFileSync(f, 'utf8').matchAll(/^(?:import|export)[^'";]*?from\s+'(\.[^']+)'/gm)]
    .map((m) => resolve(dirname(f), m[1]!.replace(/\.js$/, '.ts')))]));
}

function cycles(deps: Map<string, string[]>): string[][] {
  const state = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (f: string) => {
    state.set(f, 1);
    stack.push(f);
    for (const d of deps.get(f) ?? []) {
      if (!deps.has(d)) continue;
      if (state.get(d) === 1) found.push([...stack.slice(stack.indexOf(d)), d].map((p) => relative(SRC, p)));
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(f, 2);
  };
  for (const f of deps.keys()) if (!state.has(f)) visit(f);
  return found;
}

describe('module structure', () => {
  it('src/passes has no import cycle', () => {
    expect(cycles(importGraph(join(SRC, 'passes'))).map((c) => c.join(' -> '))).toEqual([]);
  });

  it('src/ir imports nothing from src/passes', () => {
    const passes = join(SRC, 'passes');
    const bad = [...importGraph(join(SRC, 'ir'))].flatMap(([f, ds]) => ds.filter((d) => d.startsWith(passes)).map((d) => `${relative(SRC, f)} -> ${relative(SRC, d)}`));
    expect(bad).toEqual([]);
  });
});
