// Flash and stack of the emitted C measured with the Arm cross compiler: the object's sections, its symbols and -fstack-usage.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The bench's Cortex-M0 build (bench/mcu-cycles.mjs): the figures are the ones its linked images hold. */
export const MEASURE_FLAGS = ['-mcpu=cortex-m0', '-mthumb', '-Os', '-std=c99', '-ffreestanding'];
const GCC = 'arm-none-eabi-gcc';

export interface CMeasuredSize {
  target: string;
  /** `arm-none-eabi-gcc --version`'s first line: the figures change with it. */
  compiler: string;
  /** .text (code, including weights unrolled into code). */
  codeBytes: number;
  /** .rodata split by symbol: weight streams (as size.ts classifies them, plus NAME_weights.bin) and the rest. */
  weightBytes: number;
  tableBytes: number;
  flashBytes: number;
  /** .data + .bss (the arena). */
  ramBytes: number;
  /** Deepest stack from NAME_run down its call graph (-fstack-usage, -fcallgraph-info). */
  stackBytes: number;
}

/** True when the cross compiler runs (the default of measuring). */
export function haveCrossCompiler(): boolean {
  return spawnSync(GCC, ['--version'], { encoding: 'utf8' }).status === 0;
}

function run(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${(r.stderr || r.error?.message || '').split('\n')[0]}`);
  return r.stdout;
}

/** Deepest frame sum from NAME_run over the VCG call graph of -fcallgraph-info=su; an indirect call costs the deepest other function. */
export function stackDepth(ci: string, name: string): number {
  const bare = (k: string) => k.slice(k.indexOf(':') + 1);
  const frame = new Map<string, number>();
  const calls = new Map<string, string[]>();
  for (const m of ci.matchAll(/node: \{ title: "([^"]+)" label: "[^"]*?\\n(\d+) bytes/g)) frame.set(m[1]!, Number(m[2]));
  for (const m of ci.matchAll(/edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"/g)) calls.set(m[1]!, [...(calls.get(m[1]!) ?? []), m[2]!]);
  const memo = new Map<string, number>();
  const depth = (f: string, seen: Set<string>): number => {
    if (memo.has(f)) return memo.get(f)!;
    if (seen.has(f)) return 0;
    seen.add(f);
    const next = (calls.get(f) ?? []).flatMap((c) => (c === '__indirect_call' ? [...frame.keys()].filter((k) => !bare(k).startsWith(`${name}_`)) : [c]));
    const d = (frame.get(f) ?? 0) + Math.max(0, ...next.map((c) => depth(c, seen)));
    seen.delete(f);
    memo.set(f, d);
    return d;
  };
  const start = [...frame.keys()].find((k) => bare(k) === `${name}_run`);
  return start ? depth(start, new Set()) : 0;
}

/** Compiles NAME.c for Cortex-M0 -Os in a scratch folder and reads its sizes; throws when a tool fails. */
export function measureSize(name: string, header: string, source: string, binBytes: number, isWeight: (symbol: string) => boolean): CMeasuredSize {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shiftaddc-size-'));
  try {
    fs.writeFileSync(path.join(dir, `${name}.h`), header);
    fs.writeFileSync(path.join(dir, `${name}.c`), source);
    run(GCC, [...MEASURE_FLAGS, '-fstack-usage', '-fcallgraph-info=su', '-I', '.', '-c', `${name}.c`, '-o', `${name}.o`], dir);
    const sections = new Map<string, number>();
    for (const m of run('arm-none-eabi-size', ['-A', `${name}.o`], dir).matchAll(/^(\.\S+)\s+(\d+)/gm)) sections.set(m[1]!, Number(m[2]));
    const sec = (re: RegExp) => [...sections].reduce((s, [k, v]) => s + (re.test(k) ? v : 0), 0);
    const rodata = sec(/^\.rodata/);
    let weights = 0;
    for (const m of run('arm-none-eabi-nm', ['-S', `${name}.o`], dir).matchAll(/^[0-9a-f]+ ([0-9a-f]+) [rR] (\S+)$/gm)) if (isWeight(m[2]!)) weights += parseInt(m[1]!, 16);
    const codeBytes = sec(/^\.text/);
    const ci = fs.readFileSync(path.join(dir, `${name}.ci`), 'utf8');
    return {
      target: 'Cortex-M0 -Os', compiler: run(GCC, ['--version'], dir).split('\n')[0]!.trim(),
      codeBytes, weightBytes: weights + binBytes, tableBytes: rodata - weights, flashBytes: codeBytes + rodata + binBytes + sec(/^\.data/),
      ramBytes: sec(/^\.data/) + sec(/^\.bss/), stackBytes: stackDepth(ci, name),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
