// Test harness for the C backend: writes the generated files, builds them (cached by content) and runs them.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CEmitResult } from '../src/backends/c/emit.js';

/** Compiled binaries and objects are cached by the hash of their sources and flags across test runs. */
export const CACHE = path.join(os.tmpdir(), 'shiftaddc-c-cache');

export const STRICT = ['-std=c99', '-Wall', '-Wextra', '-Werror', '-pedantic'];

/**
 * A stdio test main. Modes: `run N` runs N samples read from stdin through NAME_run; `arena N` uses
 * NAME_run_arena with a malloc'd arena of exactly NAME_ARENA_SIZE bytes filled with garbage (so ASan catches
 * overruns and no result may depend on zeroed memory); `float N` quantises float inputs with NAME_io.c first
 * and writes dequantised floats.
 */
export function testMain(name: string, inT: string, outT: string): string {
  return `#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "${name}.h"
static ${inT} in[${name}_INPUT_SIZE];
static ${outT} out[${name}_OUTPUT_SIZE];
static float fin[${name}_INPUT_SIZE];
static float fout[${name}_OUTPUT_SIZE];
int main(int argc, char **argv) {
  int n, k, rc;
  uint8_t *arena = (uint8_t *)malloc(${name}_ARENA_SIZE + 1);
  if (argc < 3 || !arena) return 2;
  n = atoi(argv[2]);
  for (k = 0; k < n; k++) {
    if (!strcmp(argv[1], "float")) {
      if (fread(fin, sizeof fin, 1, stdin) != 1) return 2;
      ${name}_quantize_input(fin, in);
    } else if (fread(in, sizeof in, 1, stdin) != 1) return 2;
    if (!strcmp(argv[1], "run")) rc = ${name}_run(in, out);
    else {
      memset(arena, 0xA5 ^ k, ${name}_ARENA_SIZE + 1);
      rc = ${name}_run_arena(in, out, arena);
    }
    if (rc) return 3;
    if (!strcmp(argv[1], "float")) {
      ${name}_dequantize_output(out, fout);
      fwrite(fout, sizeof fout, 1, stdout);
    } else fwrite(out, sizeof out, 1, stdout);
  }
  free(arena);
  return 0;
}
`;
}

export interface Sources { dir: string; files: string[] }

/** Writes NAME.h/.c/_io.c (+ main.c) into a content-addressed folder. */
export function writeSources(name: string, r: CEmitResult, main: string): Sources {
  const key = createHash('sha256').update(r.header).update(r.source).update(r.io).update(main).digest('hex').slice(0, 16);
  const dir = path.join(CACHE, `${name}-${key}`);
  fs.mkdirSync(dir, { recursive: true });
  const put = (f: string, text: string) => { const p = path.join(dir, f); if (!fs.existsSync(p)) fs.writeFileSync(p, text); return p; };
  put(`${name}.h`, r.header);
  return { dir, files: [put(`${name}.c`, r.source), put(`${name}_io.c`, r.io), put('main.c', main)] };
}

/** Builds (or reuses) an executable or object; returns its path. Compiler errors fail the test with the log. */
export function build(cc: string, flags: readonly string[], src: Sources, files = src.files, object = false): string {
  const tag = createHash('sha256').update([cc, ...flags, ...files].join('\0')).digest('hex').slice(0, 12);
  const outPath = path.join(src.dir, `${path.basename(cc)}-${tag}${object ? '.o' : '.bin'}`);
  if (!fs.existsSync(outPath)) {
    const tmp = `${outPath}.${process.pid}.tmp`;
    execFileSync(cc, [...flags, '-I', src.dir, ...(object ? ['-c'] : []), '-o', tmp, ...files], { stdio: ['ignore', 'pipe', 'pipe'] });
    fs.renameSync(tmp, outPath);
  }
  return outPath;
}

export function runBin(bin: string, args: readonly string[], input: Uint8Array): Buffer {
  return execFileSync(bin, args, { input, maxBuffer: 64 << 20, env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0', UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1' } });
}

/** Strips `//` line comments (the only comment form the emitter writes). */
export function stripComments(c: string): string {
  return c.replace(/\/\/[^\n]*/g, '');
}

const C_TYPES = new Set(['int8_t', 'uint8_t', 'int16_t', 'uint16_t', 'int32_t', 'uint32_t', 'void', 'char']);

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
