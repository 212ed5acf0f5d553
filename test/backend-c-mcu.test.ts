// C backend static guarantees: multiply-free Cortex-M0/M4 code, no */%/float in NAME.c, determinism, arena, SAC060.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { emitC } from '../src/backends/c/emit.js';
import { main } from '../src/cli.js';
import { ShiftaddcError } from '../src/diagnostics.js';
import { writeNpy } from '../src/io/npy.js';
import type { Graph } from '../src/ir/graph.js';
import { binaryStars, build, STRICT, stripComments, writeSources } from './backend-c-harness.js';
import { calib, CASES, compileCase, tinyCnn, type Case } from './backend-c-models.js';
import { buildModel } from './helpers/onnx-builder.js';

const cases: Case[] = CASES.map((mk) => mk());

/** Instructions that multiply or divide, on any ARM profile. */
const MUL_DIV = /^\s*[0-9a-f]+:\s+(?:[0-9a-f]{4}\s?){1,2}\s+(mul|muls|mla|mls|smull|umull|smlal|umlal|smul\w*|smla\w*|sdiv|udiv)\b/m;
/** Library helpers a compiler calls for multiply/divide/float on cores without the instruction. */
const HELPER = /__aeabi_|__mul|__div|__mod|__float|__fix|__add[sd]f|__sub[sd]f/;

function armObject(cs: Case, cpu: string, opt: string): string {
  const src = writeSources(cs.name, cs.c, '');
  return build('arm-none-eabi-gcc', [...STRICT, `-mcpu=${cpu}`, '-mthumb', opt], src, [src.files[0]!], true);
}

describe('C backend: multiply-free machine code', () => {
  for (const cs of cases) {
    it(`${cs.name}: Cortex-M0 -O2/-Os and Cortex-M4 -O2 objects contain no multiply/divide or helper calls`, () => {
      for (const [cpu, opt] of [['cortex-m0', '-O2'], ['cortex-m0', '-Os'], ['cortex-m4', '-O2']] as const) {
        const obj = armObject(cs, cpu, opt);
        const dis = execFileSync('arm-none-eabi-objdump', ['-d', obj], { encoding: 'utf8', maxBuffer: 1 << 28 });
        expect(dis.match(MUL_DIV)?.[0] ?? null, `${cpu} ${opt}`).toBeNull();
        const undef = execFileSync('arm-none-eabi-nm', ['-u', obj], { encoding: 'utf8' }).split('\n').filter(Boolean);
        expect(undef.filter((l) => HELPER.test(l)), `${cpu} ${opt}`).toEqual([]);
        expect(dis).not.toMatch(/<__aeabi/);
      }
    });
  }

  it('reports flash (Cortex-M0 -Os sections) against the (1 + B) bits per term ideal', () => {
    const rows = cases.map((cs) => {
      const obj = armObject(cs, 'cortex-m0', '-Os');
      const sizes = execFileSync('arm-none-eabi-size', ['-A', obj], { encoding: 'utf8' });
      const sec = (re: RegExp) => [...sizes.matchAll(re)].reduce((p, m) => p + Number(m[1]), 0);
      const f = cs.c.flash;
      expect(f.weightBytes + f.codeTerms).toBeGreaterThan(0);
      // Dense streams cost a (1 + B)-bit field per slot plus under 16 bits of alignment per channel; the slots are
      // the terms, plus filled ones (K > 1) or zero markers (K = 1).
      for (const l of f.layers) {
        if (l.form !== 'dense') continue;
        expect(l.weightBytes, l.node).toBeLessThanOrEqual(l.slotBytes! * 1.1 + 256); // + the tap offset table
        expect(l.slotBytes!, l.node).toBeGreaterThanOrEqual(l.idealBytes);
      }
      return `${cs.name}: terms ${f.terms} (${f.codeTerms} as code, forms ${f.layers.map((l) => l.form).join(' ')}), packed weights ${f.weightBytes} B vs ideal ${f.idealBytes} B (${(f.weightBytes / f.idealBytes).toFixed(2)}x), `
        + `bias+shift ${f.paramBytes} B; M0 -Os .text ${sec(/^\.text\S*\s+(\d+)/gm)} B .rodata ${sec(/^\.rodata\S*\s+(\d+)/gm)} B; `
        + `arena ${cs.c.memory.arenaBytes} B (lower bound ${cs.c.memory.lowerBound} B, no reuse ${cs.c.memory.naiveBytes} B)`;
    });
    console.log(rows.join('\n'));
  });
});

describe('C backend: source-level guarantees', () => {
  it('NAME.c has no multiplication, division, modulo, float, malloc or recursion', () => {
    for (const cs of cases) {
      // String literals out too: the list walk's Thumb-1 asm names its operands %[t], %[a], ...
      const code = stripComments(cs.c.source).replace(/"(?:[^"\\\n]|\\.)*"/g, '""');
      expect(binaryStars(cs.c.source), cs.name).toEqual([]);
      expect(code).not.toMatch(/[/%]/);
      expect(code).not.toMatch(/\b(float|double|malloc|calloc|free)\b|\d\.\d|\d[eE]-?\d/);
      // No function calls itself (the generated call graph is a tree of layer functions and helpers).
      for (const m of code.matchAll(/^static [^(]*?\b(\w+)\(([^)]*)\) \{\n([\s\S]*?)^\}/gm)) expect(m[3]).not.toMatch(new RegExp(`\\b${m[1]}\\(`));
    }
  });

  it('the star checker flags binary multiplication and compound assignment', () => {
    expect(binaryStars('int32_t *p = a * b;')).toHaveLength(1);
    expect(binaryStars('x = (a)*2; y *= 3;')).toHaveLength(2);
    expect(binaryStars('const int8_t *x; *y++ = *x; // a * b')).toEqual([]);
  });

  it('names every layer after its source node and is deterministic', () => {
    const cs = cases[0]!;
    for (const n of ['conv1', 'dw', 'residual', 'concat', 'pool', 'conv2', 'sigmoid', 'gap', 'fc']) expect(cs.c.source).toContain(`node '${n}'`);
    const again = compileCase(cs.name, tinyCnn(1)).c;
    expect(again.source).toBe(cs.c.source);
    expect(again.header).toBe(cs.c.header);
    expect(again.io).toBe(cs.c.io);
    expect(emitC(cs.graph, { name: cs.name }).source).toBe(cs.c.source);
  });

  it('plans an arena between the liveness lower bound and one buffer per tensor', () => {
    for (const cs of cases) {
      const { arenaBytes, lowerBound, naiveBytes } = cs.c.memory;
      expect(arenaBytes).toBeGreaterThanOrEqual(lowerBound);
      expect(arenaBytes).toBeLessThanOrEqual(naiveBytes);
      expect(cs.c.header).toContain(`#define ${cs.name.toUpperCase()}_ARENA_SIZE ${arenaBytes}`);
    }
  });

  it('rejects an op outside the lowered dialect (so without a C kernel) with SAC051 naming the node', () => {
    const g = cases[0]!.graph;
    const bad: Graph = { ...g, nodes: g.nodes.map((n) => (n.op.kind === 'Lut' ? { ...n, op: { kind: 'Sign', attrs: {} } } : n)) };
    let err: unknown;
    try { emitC(bad, { name: 'bad' }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ShiftaddcError);
    expect((err as ShiftaddcError).code).toBe('SAC051');
    expect((err as ShiftaddcError).where).toContain("'sigmoid'");
    expect(() => emitC(g, { name: '9lives' })).toThrow(/C identifier/);
  });
});

describe('shiftaddc compile --target c', () => {
  it('writes NAME.h, NAME.c and NAME_io.c that build cleanly; rejects unknown targets', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shiftaddc-cli-c-'));
    const model = path.join(dir, 'tiny.onnx');
    const cal = path.join(dir, 'cal.npy');
    fs.writeFileSync(model, buildModel(tinyCnn(1)));
    fs.writeFileSync(cal, writeNpy(calib([1, 1, 8, 8], 7)));
    const out = path.join(dir, 'out');
    expect(await main(['compile', model, '--calibrate', cal, '-o', out, '--target', 'c', '--name', 'net'])).toBe(0);
    for (const f of ['net.h', 'net.c', 'net_io.c']) expect(fs.existsSync(path.join(out, f)), f).toBe(true);
    execFileSync('gcc', [...STRICT, '-O2', '-c', '-o', path.join(dir, 'net.o'), path.join(out, 'net.c')], { stdio: 'pipe' });
    expect(fs.readFileSync(path.join(out, 'net.h'), 'utf8')).toMatch(/int net_run\(const int8_t \*in, int(8|16)_t \*out\);/);
    expect(await main(['compile', model, '--calibrate', cal, '-o', out, '--target', 'nosuch'])).toBe(1);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
