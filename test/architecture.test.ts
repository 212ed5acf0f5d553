// Architecture rules of src/: layering (IR at the bottom, backends over IR and shared codegen), no cycles, no printing library.
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importCycles, layerViolations, printingLibraryFiles, readImportGraph, type ImportGraph } from './helpers/import-graph.js';

const SRC = path.resolve(__dirname, '../src');
const graph = readImportGraph(SRC);
const runtime = readImportGraph(SRC, true);

describe('architecture', () => {
  it('reads the whole source tree', () => {
    expect(graph.size).toBeGreaterThan(100);
    expect(graph.get('cli.ts')).toContain('compile.ts');
  });

  it('obeys the layering rules', () => {
    expect(layerViolations(graph)).toEqual([]);
  });

  it('has no import cycles (type-only imports, erased at compile time, aside)', () => {
    expect(runtime.size).toBe(graph.size);
    expect(importCycles(runtime)).toEqual([]);
  });

  it('prints and exits only in the CLI', () => {
    expect(printingLibraryFiles(SRC, graph)).toEqual([]);
  });

  // The checks themselves must catch what they exist for: a forbidden import and a cycle added to the real graph.
  it('flags an IR file importing a backend, a pass importing the frontend, and a cycle', () => {
    const g: ImportGraph = new Map([...graph].map(([k, v]) => [k, [...v]]));
    const irFile = [...g.keys()].find((f) => f.startsWith('ir/'))!;
    const passFile = [...g.keys()].find((f) => f.startsWith('passes/'))!;
    const backendFile = [...g.keys()].find((f) => f.startsWith('backends/') && f.split('/').length > 2)!;
    const frontendFile = [...g.keys()].find((f) => f.startsWith('frontend/'))!;
    g.get(irFile)!.push(backendFile);
    g.get(passFile)!.push(frontendFile);
    const v = layerViolations(g);
    expect(v.some((s) => s.startsWith(`${irFile} (ir) imports ${backendFile}`))).toBe(true);
    expect(v.some((s) => s.startsWith(`${passFile} (passes) imports ${frontendFile}`))).toBe(true);
    const a = 'ir/graph.ts';
    const b = 'ir/tensor.ts';
    g.get(b)!.push(a);
    g.get(a)!.push(b);
    expect(importCycles(g).some((c) => c.includes(a) && c.includes(b))).toBe(true);
  });
});
