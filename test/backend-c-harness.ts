// Test harness for the C backend: the product's host build cache and stdio main, plus multiply-free checks.
import * as os from 'node:os';
import * as path from 'node:path';
import type { CEmitResult } from '../src/backends/c/emit.js';
import { buildC, runBinary, writeSources as writeCache, type CSources } from '../src/backends/c/host.js';

export { stdioMain as testMain } from '../src/backends/c/run.js';

/** Tests keep their builds out of the user's cache (and share them across test runs). */
export const CACHE = path.join(os.tmpdir(), 'shiftaddc-c-cache');

export const STRICT = ['-std=c99', '-Wall', '-Wextra', '-Werror', '-pedantic'];

export type Sources = CSources;

/** Writes NAME.h/.c/_io.c (+ main.c) into a content-addressed folder; files[0] is NAME.c. */
export function writeSources(name: string, r: CEmitResult, main: string): Sources {
  return writeCache(CACHE, name, { [`${name}.h`]: r.header, [`${name}.c`]: r.source, [`${name}_io.c`]: r.io, 'main.c': main });
}

/** Builds (or reuses) an executable or object; returns its path. A compile error fails with SAC062 and the log path. */
export function build(cc: string, flags: readonly string[], src: Sources, files = src.files, object = false): string {
  return buildC(src, { cc, flags, files, object }).path;
}

/** Sanitizer runs must stop at the first report and not fail on leak checks of the test main. */
export function runBin(bin: string, args: readonly string[], input: Uint8Array): Buffer {
  return runBinary(bin, args, input, { ...process.env, ASAN_OPTIONS: 'detect_leaks=0', UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1' });
}

/** Strips `//` line comments (the only comment form the emitter writes). */
export function stripComments(c: string): string {
  return c.replace(/\/\/[^\n]*/g, '');
}

// sac_bits: the packed-stream reader typedef (runtime.ts).
const C_TYPES = new Set(['int8_t', 'uint8_t', 'int16_t', 'uint16_t', 'int32_t', 'uint32_t', 'void', 'char', 'sac_bits']);

/**
 * Every `*` in the code must be a declarator (after a type name) or a dereference (after punctuation that
 * cannot end an operand). Returns the offending snippets: a binary multiplication always follows an operand.
 */
export function binaryStars(c: string): string[] {
  const code = stripComments(c);
  const bad: string[] = [];
  const re = /([A-Za-z0-9_]+|[)\]])?(\s*)\*(=?)/g;
  for (let m = re.exec(code); m; m = re.exec(code)) {
    const prev = m[1];
    const isOperand = prev !== undefined && !C_TYPES.has(prev) && prev !== 'return';
    if (isOperand || m[3] === '=') bad.push(code.slice(Math.max(0, m.index - 20), m.index + 20));
  }
  return bad;
}
