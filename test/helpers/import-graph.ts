// The import graph of src/ (static, type-only and dynamic imports) and the layering rules it must obey.
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';

/** File (relative to src/, posix) -> the src files it imports. */
export type ImportGraph = Map<string, string[]>;

/** Module specifiers a file loads at run time: imports and re-exports that are not `import type` / `export type`. */
function runtimeSpecifiers(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false);
  const out: string[] = [];
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st)) {
      const c = st.importClause;
      const typeOnly = c?.isTypeOnly || (c && !c.name && c.namedBindings && ts.isNamedImports(c.namedBindings)
        && c.namedBindings.elements.length > 0 && c.namedBindings.elements.every((e) => e.isTypeOnly));
      if (!typeOnly) out.push((st.moduleSpecifier as ts.StringLiteral).text);
    } else if (ts.isExportDeclaration(st) && st.moduleSpecifier && !st.isTypeOnly) {
      out.push((st.moduleSpecifier as ts.StringLiteral).text);
    }
  }
  return out;
}

/**
 * The import graph of every .ts file under srcDir; `runtime` keeps only the imports that load a module when the
 * program runs (type-only imports vanish at compile time, so a cycle through them is harmless).
 */
export function readImportGraph(srcDir: string, runtime = false): ImportGraph {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) files.push(p);
    }
  };
  walk(srcDir);
  const rel = (p: string) => path.relative(srcDir, p).split(path.sep).join('/');
  const graph: ImportGraph = new Map();
  for (const f of files) {
    const text = fs.readFileSync(f, 'utf8');
    const specs = runtime ? runtimeSpecifiers(f, text) : ts.preProcessFile(text, true, true).importedFiles.map((i) => i.fileName);
    const deps = specs.filter((s) => s.startsWith('.'))
      .map((s) => rel(path.resolve(path.dirname(f), s.replace(/\.js$/, '.ts'))));
    graph.set(rel(f), [...new Set(deps)]);
  }
  return graph;
}

/** The layer of a src-relative file: its top folder, or the file name for top-level files. */
export function layerOf(file: string): string {
  const i = file.indexOf('/');
  return i < 0 ? file.replace(/\.ts$/, '') : file.slice(0, i);
}

/**
 * Which layers each layer may import (its own always). Top-level library modules (api, compile, eval, ...) may
 * import every layer but the CLI; only the CLI modules sit above them.
 */
export const LAYER_RULES: Readonly<Record<string, readonly string[]>> = {
  diagnostics: [],
  util: ['diagnostics'],
  ir: ['diagnostics', 'util'],
  io: ['diagnostics', 'util', 'ir'],
  frontend: ['diagnostics', 'util', 'ir', 'io'],
  accel: ['diagnostics', 'util', 'ir'],
  passes: ['diagnostics', 'util', 'ir', 'accel'],
  codegen: ['diagnostics', 'util', 'ir'],
  backends: ['diagnostics', 'util', 'ir', 'codegen', 'io'],
};

const CLI = /^cli(-[a-z-]+)?\.ts$/;

export function layerViolations(g: ImportGraph): string[] {
  const out: string[] = [];
  for (const [file, deps] of g) {
    const from = layerOf(file);
    for (const dep of deps) {
      const to = layerOf(dep);
      if (to === from) continue;
      if (!g.has(dep)) { out.push(`${file} imports ${dep}, which does not exist`); continue; }
      const allowed = LAYER_RULES[from];
      if (allowed) {
        if (!allowed.includes(to)) out.push(`${file} (${from}) imports ${dep} (${to}): ${from} may import ${allowed.join(', ') || 'nothing'}`);
      } else if (!CLI.test(file) && CLI.test(dep)) {
        out.push(`${file} imports the CLI module ${dep}`);
      } else if (!(from in LAYER_RULES) && !CLI.test(file) && !LAYER_RULES[to] && !isTopLevel(dep)) {
        out.push(`${file} (${from}) imports ${dep} from an unknown layer '${to}'`);
      }
    }
  }
  // A backend sees its own folder, the contract and shared code, never another backend.
  for (const [file, deps] of g) {
    const m = /^backends\/([^/]+)\//.exec(file);
    if (!m) continue;
    for (const dep of deps) {
      const d = /^backends\/([^/]+)\//.exec(dep);
      if (d && d[1] !== m[1]) out.push(`${file} (backend ${m[1]}) imports ${dep} of backend ${d[1]}`);
    }
  }
  return out;
}

function isTopLevel(file: string): boolean {
  return !file.includes('/');
}

/** Import cycles (of a runtime graph: see readImportGraph) as strongly connected components of more than one file (or a file importing itself). */
export function importCycles(g: ImportGraph): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index); low.set(v, index); index++;
    stack.push(v); on.add(v);
    for (const w of g.get(v) ?? []) {
      if (!g.has(w)) continue;
      if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do { w = stack.pop()!; on.delete(w); scc.push(w); } while (w !== v);
      if (scc.length > 1 || (g.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of [...g.keys()].sort()) if (!idx.has(v)) visit(v);
  return out;
}

/** Library files (everything but the CLI modules) that print or exit the process. */
export function printingLibraryFiles(srcDir: string, g: ImportGraph): string[] {
  const bad = /\bprocess\.exit\b|\bconsole\.[a-z]+\(|\bprocess\.(stdout|stderr)\b/;
  return [...g.keys()].filter((f) => !CLI.test(f) && bad.test(stripComments(fs.readFileSync(path.join(srcDir, f), 'utf8'))));
}

function stripComments(s: string): string {
  return s.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}
