// What the emitted C takes, read from its text: the bytes of every const table (weights vs other tables) and the static RAM.
import type { CMeasuredSize } from './measure-size.js';

/** Bytes of a C element type on the 32-bit MCUs the C targets; any other type (function pointers) is a 4-byte pointer. */
const TYPE_BYTES: Readonly<Record<string, number>> = { int8_t: 1, uint8_t: 1, int16_t: 2, uint16_t: 2, int32_t: 4, uint32_t: 4, float: 4 };

/**
 * Weight streams (what `weightTable` declares, and adder weights): `_l` byte lists, `_w` dense/packed words or
 * adder weights, `_h`/`_t` sparse bucket headers and taps. Every other const table (biases, shifts, gains,
 * offsets, LUTs, decode tables, function tables) is a "table".
 */
const WEIGHT_TABLE = /_(l|w|h|t)$/;

export interface CTable { name: string; type: string; elems: number; bytes: number; weights: boolean }

/** The size figures of one C emission (report.json `size`, docs/c-weights.md "Size figures"). */
export interface CSize {
  /** Exact from the emitted text: const tables in NAME.c and NAME_weights.bin. */
  weightBytes: number;
  tableBytes: number;
  binBytes: number;
  /** Static RAM: the arena and any other static buffer NAME.c declares. */
  arenaBytes: number;
  staticRamBytes: number;
  tables: CTable[];
  /** With a cross compiler: the object's sections and the stack (measure-size.ts); absent when not measured. */
  measured?: CMeasuredSize;
  /** Why nothing was measured: `off` (switched off) or `no compiler` (arm-none-eabi-gcc not on PATH). */
  notMeasured?: string;
}

/** Every `static const T name[N]` in the C text, with its bytes. */
export function constTables(source: string): CTable[] {
  const out: CTable[] = [];
  for (const m of source.matchAll(/^static const ([A-Za-z_]\w*) (\w+)\[(\d+)\] = \{/gm)) {
    const elems = Number(m[3]);
    out.push({ name: m[2]!, type: m[1]!, elems, bytes: elems * (TYPE_BYTES[m[1]!] ?? 4), weights: WEIGHT_TABLE.test(m[2]!) });
  }
  return out;
}

/** Bytes of the non-const static arrays (the arena, scratch) in the C text. */
export function staticRam(source: string): number {
  let n = 0;
  for (const m of source.matchAll(/^static (?!const )([A-Za-z_]\w*) (\w+)\[(\d+)\];/gm)) n += Number(m[3]) * (TYPE_BYTES[m[1]!] ?? 4);
  return n;
}

/** The exact size figures of NAME.c (and NAME_weights.bin's length, all weights). */
export function emittedSize(source: string, arenaBytes: number, binBytes: number): CSize {
  const tables = constTables(source);
  const sum = (w: boolean) => tables.reduce((s, t) => s + (t.weights === w ? t.bytes : 0), 0);
  return { weightBytes: sum(true) + binBytes, tableBytes: sum(false), binBytes, arenaBytes, staticRamBytes: staticRam(source), tables };
}

const kb = (b: number): string => `${(b / 1024).toFixed(1)} KB`;

/** One phrase for the CLI and report.md: measured figures when there are some, else the exact table bytes. */
export function sizeLine(s: CSize): string {
  const m = s.measured;
  if (m) {
    return `${m.target}: code ${kb(m.codeBytes)} + weights ${kb(m.weightBytes)} + tables ${kb(m.tableBytes)} = ${kb(m.flashBytes)} flash; arena ${s.arenaBytes} B + stack ${m.stackBytes} B (measured, ${m.compiler})`;
  }
  return `weights ${kb(s.weightBytes)} + tables ${kb(s.tableBytes)} of const data, plus code (not measured: ${s.notMeasured ?? 'off'}); arena ${s.arenaBytes} B (exact from the emitted C)`;
}
