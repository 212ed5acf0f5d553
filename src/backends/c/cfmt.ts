// C text helpers for the C backend: types, constant arrays, safe comments and multiply-free loop nests.
import { fail } from '../../diagnostics.js';
import type { DType } from '../../ir/tensor.js';

/** C element type of an integer activation/parameter dtype. */
export function ctype(dtype: DType, where: string): string {
  switch (dtype) {
    case 'int8': return 'int8_t';
    case 'int16': return 'int16_t';
    case 'int32': return 'int32_t';
    case 'uint8': return 'uint8_t';
    default: return fail('SAC060', `dtype ${dtype} has no C kernel`, where);
  }
}

/** Short suffix of a C integer type, used to name per-type helpers (int8_t -> i8). */
export function tsuffix(t: string): string {
  return t.replace(/^u?int(\d+)_t$/, (_m, b: string) => (t.startsWith('u') ? 'u' : 'i') + b);
}

/** Smallest unsigned C type holding every value in [0, max]. */
export function utype(max: number): string {
  return max < 256 ? 'uint8_t' : max < 65536 ? 'uint16_t' : 'uint32_t';
}

/**
 * Makes arbitrary text safe inside a `//` comment: generated code uses only line comments so that the
 * source never contains `*` outside declarations and dereferences; a trailing backslash would splice lines.
 */
export function safeComment(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?').replace(/\\/g, '/');
}

/** A C integer literal; INT32_MIN cannot be written directly as a literal. */
export function lit(v: number): string {
  return v === -2147483648 ? '(-2147483647 - 1)' : String(v);
}

/** `static const T name[] = {...};` wrapped to readable lines (an empty array gets one 0: C forbids size 0). */
export function constArray(name: string, type: string, values: ArrayLike<number>): string {
  const vals = values.length ? Array.from(values, lit) : ['0'];
  const lines: string[] = [];
  for (let i = 0; i < vals.length; i += 24) lines.push(`  ${vals.slice(i, i + 24).join(', ')},`);
  return `static const ${type} ${name}[${vals.length}] = {\n${lines.join('\n')}\n};`;
}

/** An offset variable walked by a loop nest: `base + sum(i_d * strides[d])`, kept as running sums. */
export interface NestVar { name: string; base: number; strides: readonly number[] }

/**
 * Emits a static loop nest over `shape` that advances each offset variable by constant strides: no index
 * products at run time (SAC_OPAQUE stops optimisers from turning the running sums back into products). Size-1 axes are dropped and axes contiguous for every variable are merged.
 */
export function emitNest(shape: readonly number[], vars: readonly NestVar[], body: readonly string[], indent = '  '): string[] {
  // Simplify: drop unit axes, then merge axis d into d+1 when every variable is contiguous across them.
  let dims = shape.map((n, d) => ({ n, s: vars.map((v) => v.strides[d]!) })).filter((a) => a.n !== 1);
  for (let d = dims.length - 2; d >= 0; d--) {
    const a = dims[d]!;
    const b = dims[d + 1]!;
    if (a.s.every((s, k) => s === b.s[k]! * b.n)) dims = [...dims.slice(0, d), { n: a.n * b.n, s: b.s }, ...dims.slice(d + 2)];
  }
  const out: string[] = vars.map((v) => `${indent}${v.name} = ${v.base};`);
  if (shape.some((n) => n === 0)) return [];
  const rec = (d: number, ind: string): void => {
    if (d === dims.length) { for (const l of body) out.push(ind + l); return; }
    const a = dims[d]!;
    out.push(`${ind}for (int32_t i${d} = 0; i${d} < ${a.n}; i${d}++) {`);
    rec(d + 1, `${ind}  `);
    // Advance by this axis' stride, minus what the inner axis already advanced (n_inner * stride_inner).
    const inner = dims[d + 1];
    vars.forEach((v, k) => {
      const step = a.s[k]! - (inner ? inner.n * inner.s[k]! : 0);
      if (step !== 0) out.push(`${ind}  ${v.name} += ${step};`, `${ind}  SAC_OPAQUE(${v.name});`);
    });
    out.push(`${ind}}`);
  };
  rec(0, indent);
  return out;
}
