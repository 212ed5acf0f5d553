// ONNX backend conformance: runs the official node/model test cases through the importer and float interpreter.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { onnx } from 'onnx-proto';
import { afterAll, describe, expect, it } from 'vitest';
import { ShiftaddcError } from '../src/diagnostics.js';
import { decodeModel, importModel } from '../src/frontend/import.js';
import { decodeTensor } from '../src/frontend/tensor-proto.js';
import type { Graph } from '../src/ir/graph.js';
import { runGraph } from '../src/ir/interp-float.js';
import { numel, type Tensor } from '../src/ir/tensor.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dataRoot = path.resolve(repoRoot, '..', 'shared', 'onnx-backend-data');
const SUITES = ['simple', 'pytorch-converted', 'pytorch-operator'];
/** Cases slower than this are listed in the summary so slowness is visible rather than hidden. */
const SLOW_MS = 5_000;

const stats = { passed: 0, failed: 0, skipped: 0 };
const skipReasons = new Map<string, string[]>();
const timings: { name: string; ms: number }[] = [];

/**
 * Out-of-scope diagnostics turn a case into a skip: unsupported op (SAC005), unsupported dtype (SAC015),
 * 3-D conv/pool (SAC012 "1-D and 2-D") and parameters that are runtime inputs (SAC014, e.g. Expand's
 * shape fed as a graph input). Returns the grouping keys, or undefined if the error is a real failure.
 */
function skipKeys(e: unknown): string[] | undefined {
  if (!(e instanceof ShiftaddcError)) return undefined;
  const op = /\(([A-Za-z.]+)\)$/.exec(e.where ?? '')?.[1] ?? '?';
  switch (e.code) {
    case 'SAC005': {
      const ops = [...e.message.matchAll(/([A-Za-z.]+)(?: \([^)]*\))? at node/g)].map((m) => m[1]!);
      return ops.length ? ops.map((o) => `${o}: unsupported op`) : [`${op}: unsupported op`];
    }
    case 'SAC015': return [`${op}: unsupported dtype`];
    case 'SAC014': return [`${op}: non-constant parameter`];
    case 'SAC012': return /1-D and 2-D/.test(e.message) ? [`${op}: 3-D or higher (out of scope)`] : undefined;
    default: return undefined;
  }
}

function readTensor(file: string): Tensor {
  return decodeTensor(onnx.TensorProto.decode(fs.readFileSync(file)), file);
}

/** |a - b| <= atol + rtol * |b| elementwise, NaN matching NaN; returns a description of the first mismatch. */
function compare(actual: Tensor, expected: Tensor, rtol: number, atol: number, label: string): string | undefined {
  const shapeOk = actual.shape.length === expected.shape.length && actual.shape.every((d, i) => d === expected.shape[i]);
  if (!shapeOk) return `${label}: shape [${actual.shape}] != expected [${expected.shape}]`;
  let bad = 0;
  let first = '';
  for (let i = 0; i < expected.data.length; i++) {
    const a = Number(actual.data[i]);
    const b = Number(expected.data[i]);
    if (Number.isNaN(a) && Number.isNaN(b)) continue;
    if (a === b) continue; // covers matching infinities
    if (!(Math.abs(a - b) <= atol + rtol * Math.abs(b))) {
      if (bad++ === 0) first = `index ${i}: got ${a}, expected ${b}`;
    }
  }
  return bad ? `${label}: ${bad}/${expected.data.length} elements differ (first ${first})` : undefined;
}

/** Loads a model, or returns the skip keys when it is out of scope (other errors propagate as failures). */
function load(file: string): Graph | string[] {
  try {
    return importModel(decodeModel(fs.readFileSync(file)), { modelDir: path.dirname(file) });
  } catch (e) {
    const keys = skipKeys(e);
    if (!keys) throw e;
    return keys;
  }
}

/** Runs one case body with bookkeeping: skip on out-of-scope, count pass/fail, record time. */
function runCase(name: string, skip: (note: string) => void, body: () => string[] | void): void {
  const t0 = performance.now();
  let keys: string[] | void;
  try {
    keys = body();
  } catch (e) {
    stats.failed++;
    throw e;
  } finally {
    timings.push({ name, ms: performance.now() - t0 });
  }
  if (!keys) {
    stats.passed++;
  } else {
    stats.skipped++;
    for (const k of keys) skipReasons.set(k, [...(skipReasons.get(k) ?? []), name]);
    skip(keys.join('; '));
  }
}

function checkOutputs(name: string, actual: readonly Tensor[], expected: readonly Tensor[], rtol: number, atol: number): void {
  expect(actual.length, `${name}: output count`).toBeGreaterThanOrEqual(expected.length);
  const errors = expected.map((e, k) => compare(actual[k]!, e, rtol, atol, `output ${k}`)).filter((m) => m);
  expect(errors, name).toEqual([]);
}

const haveData = fs.existsSync(dataRoot);
if (!haveData) console.log(`conformance: skipped, ONNX backend data not found at ${dataRoot}`);

describe.skipIf(!haveData)('ONNX backend conformance', () => {
  afterAll(() => {
    const lines = [`conformance: ${stats.passed} passed, ${stats.failed} failed, ${stats.skipped} skipped`];
    for (const [reason, cases] of [...skipReasons].sort()) lines.push(`  skip ${reason} (${cases.length}): ${cases.join(', ')}`);
    const slow = timings.filter((t) => t.ms > SLOW_MS).sort((a, b) => b.ms - a.ms);
    if (slow.length) lines.push(`  slow cases: ${slow.map((t) => `${t.name} ${(t.ms / 1000).toFixed(1)}s`).join(', ')}`);
    console.log(lines.join('\n'));
  });

  const cases = haveData
    ? SUITES.flatMap((s) => (fs.existsSync(path.join(dataRoot, s)) ? fs.readdirSync(path.join(dataRoot, s)).sort().map((c) => path.join(dataRoot, s, c)) : []))
    : [];
  for (const dir of cases) {
    const name = `${path.basename(path.dirname(dir))}/${path.basename(dir)}`;
    it(name, (ctx) => runCase(name, (n) => ctx.skip(n), () => {
      const g = load(path.join(dir, 'model.onnx'));
      if (Array.isArray(g)) return g;
      const sets = fs.readdirSync(dir).filter((d) => d.startsWith('test_data_set_')).sort();
      for (const set of sets) {
        const files = fs.readdirSync(path.join(dir, set));
        const pick = (prefix: string) => files.filter((f) => f.startsWith(prefix)).sort((a, b) => parseInt(a.slice(prefix.length)) - parseInt(b.slice(prefix.length))).map((f) => readTensor(path.join(dir, set, f)));
        const outs = runGraph(g, pick('input_'));
        checkOutputs(`${name}/${set}`, outs, pick('output_'), 1e-3, 1e-7);
      }
    }));
  }

  // Real architectures with generated weights: input is arange(n)/n, tolerances come from real/test_NAME/data.json.
  const lightDir = path.join(dataRoot, 'light');
  const light = haveData && fs.existsSync(lightDir) ? fs.readdirSync(lightDir).filter((f) => /^light_.*\.onnx$/.test(f)).sort() : [];
  for (const file of light) {
    const model = file.slice('light_'.length, -'.onnx'.length);
    const name = `light/${model}`;
    it(name, { timeout: 600_000 }, (ctx) => runCase(name, (n) => ctx.skip(n), () => {
      const g = load(path.join(lightDir, file));
      if (Array.isArray(g)) return g;
      const meta = JSON.parse(fs.readFileSync(path.join(dataRoot, 'real', `test_${model}`, 'data.json'), 'utf8')) as { rtol?: number; atol?: number };
      const inputs = g.inputs.map((id) => {
        const t = g.values[id]!.type;
        const n = numel(t.shape);
        const data = new Float32Array(n);
        for (let i = 0; i < n; i++) data[i] = i / n;
        return { dtype: t.dtype, shape: t.shape, data } as Tensor;
      });
      const outs = runGraph(g, inputs);
      checkOutputs(name, outs, [readTensor(path.join(lightDir, `light_${model}_output_0.pb`))], meta.rtol ?? 1e-3, meta.atol ?? 1e-7);
    }));
  }
});
