// Shared machinery of the ONNX backend conformance tests: case loading, skips, tolerant comparison, bookkeeping.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { onnx } from 'onnx-proto';
import { expect } from 'vitest';
import { ShiftaddcError } from '../../src/diagnostics.js';
import { decodeModel, importModel } from '../../src/frontend/import.js';
import { decodeTensor } from '../../src/frontend/tensor-proto.js';
import type { Graph } from '../../src/ir/graph.js';
import { runGraph } from '../../src/ir/interp-float.js';
import { numel, type Tensor } from '../../src/ir/tensor.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const dataRoot = path.resolve(repoRoot, '..', 'shared', 'onnx-backend-data');
export const SUITES = ['simple', 'pytorch-converted', 'pytorch-operator'];
/** Cases slower than this are listed in the summary so slowness is visible rather than hidden. */
const SLOW_MS = 5_000;

const stats = { passed: 0, failed: 0, skipped: 0 };
const skipReasons = new Map<string, string[]>();
const timings: { name: string; ms: number }[] = [];

export const haveData = fs.existsSync(dataRoot);

/** The summary line, skip reasons and slow cases of this file's run (printed after its cases). */
export function summary(label: string): string {
  const lines = [`${label}: ${stats.passed} passed, ${stats.failed} failed, ${stats.skipped} skipped`];
  for (const [reason, cases] of [...skipReasons].sort()) lines.push(`  skip ${reason} (${cases.length}): ${cases.join(', ')}`);
  const slow = timings.filter((t) => t.ms > SLOW_MS).sort((a, b) => b.ms - a.ms);
  if (slow.length) lines.push(`  slow cases: ${slow.map((t) => `${t.name} ${(t.ms / 1000).toFixed(1)}s`).join(', ')}`);
  return lines.join('\n');
}

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

export function readTensor(file: string): Tensor {
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
export function load(file: string): Graph | string[] {
  try {
    return importModel(decodeModel(fs.readFileSync(file)), { modelDir: path.dirname(file) });
  } catch (e) {
    const keys = skipKeys(e);
    if (!keys) throw e;
    return keys;
  }
}

/** Runs one case body with bookkeeping: skip on out-of-scope, count pass/fail, record time. */
export function runCase(name: string, skip: (note: string) => void, body: () => string[] | void): void {
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

export function checkOutputs(name: string, actual: readonly Tensor[], expected: readonly Tensor[], rtol: number, atol: number): void {
  expect(actual.length, `${name}: output count`).toBeGreaterThanOrEqual(expected.length);
  const errors = expected.map((e, k) => compare(actual[k]!, e, rtol, atol, `output ${k}`)).filter((m) => m);
  expect(errors, name).toEqual([]);
}

