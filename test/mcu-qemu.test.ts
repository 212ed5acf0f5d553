// Bare-metal run of the generated C under QEMU (examples/mcu): LeNet on micro:bit (Cortex-M0, 16 KB RAM) and
// mps2-an385, output bytes printed over semihosting must equal runInteger on the same quantised image.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel, readInputFile } from '../src/api.js';
import { emitC } from '../src/backends/c/emit.js';
import { compile } from '../src/compile.js';
import { quantizeInput, runInteger } from '../src/ir/interp-int.js';
import { readNpy } from '../src/io/npy.js';
import type { Tensor } from '../src/ir/tensor.js';
import { inputHeader, ioTypes } from '../examples/mcu/input-header.mjs';

const EX = new URL('../examples/', import.meta.url).pathname;
const MCU = path.join(EX, 'mcu');
const hasQemu = spawnSync('qemu-system-arm', ['--version'], { stdio: 'ignore' }).status === 0;
if (!hasQemu) console.warn('mcu-qemu: SKIPPED, qemu-system-arm is not installed (apt-get install qemu-system-arm)');

const BOARDS = [
  { board: 'microbit', ramBytes: 16 << 10, flashBytes: 256 << 10 },
  { board: 'mps2-an385', ramBytes: 4 << 20, flashBytes: 4 << 20 },
] as const;

/** Parses main.c's semihosting report: `out:` hex bytes, then `top1:`/`stack:` hex words, then `done`. */
function parseReport(text: string): { out: Buffer; top1: number; stack: number } {
  const m = /out:([\s0-9a-f]*)\ntop1: ([0-9a-f]{8})\nstack: ([0-9a-f]{8})\ndone/.exec(text);
  if (!m) throw new Error(`unexpected QEMU output:\n${text}`);
  const bytes = m[1]!.trim().split(/\s+/).filter(Boolean).map((h) => parseInt(h, 16));
  return { out: Buffer.from(bytes), top1: parseInt(m[2]!, 16), stack: parseInt(m[3]!, 16) };
}

describe.skipIf(!hasQemu)('bare-metal C under QEMU (examples/mcu)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shiftaddc-mcu-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('LeNet fits the micro:bit (16 KB RAM) and matches runInteger byte for byte on both boards', () => {
    // readInputFile, not a raw Buffer: readNpy's aligned copy needs a plain Uint8Array view.
    const calib = readNpy(readInputFile(`${EX}data/calib-256.npy`), 'calib');
    const sample = readNpy(readInputFile(`${EX}data/sample.npy`), 'sample');
    const { graph } = compile(loadModel(`${EX}lenet.onnx`), { calibration: [calib], terms: 2 });
    const c = emitC(graph, { name: 'lenet' });
    const x = graph.values[graph.inputs[0]!]!;
    const { inT, outT } = ioTypes(c.header);
    const q = quantizeInput(sample, x.quant?.frac ?? 0, inT === 'int16_t' ? 16 : 8);
    const [y] = runInteger(graph, [q]) as [Tensor];
    const want = Buffer.from(y.data.buffer, y.data.byteOffset, y.data.byteLength);
    let best = 0;
    for (let i = 1; i < y.data.length; i++) if (y.data[i]! > y.data[best]!) best = i;

    const gen = path.join(dir, 'gen');
    fs.mkdirSync(gen, { recursive: true });
    fs.writeFileSync(path.join(gen, 'lenet.h'), c.header);
    fs.writeFileSync(path.join(gen, 'lenet.c'), c.source);
    fs.writeFileSync(path.join(gen, 'input.h'), inputHeader('lenet', inT, outT, q.data));

    const rows: string[] = [];
    for (const { board, ramBytes, flashBytes } of BOARDS) {
      const out = path.join(dir, board);
      // A link failure here (region RAM overflowed) means arena + stack + data no longer fit the board.
      execFileSync('make', ['-s', '-C', MCU, `BOARD=${board}`, 'NAME=lenet', `GEN=${gen}`, `OUT=${out}`, 'EXTRA=-Werror'], { stdio: 'pipe' });
      const elf = path.join(out, 'app.elf');
      const r = spawnSync('qemu-system-arm', ['-M', board, '-nographic', '-monitor', 'none', '-serial', 'none',
        '-semihosting-config', 'enable=on,target=native', '-kernel', elf], { encoding: 'utf8', timeout: 20_000 });
      expect(r.error, `${board}: qemu did not finish`).toBeUndefined();
      expect(r.status, `${board}: qemu exit status; output:\n${r.stdout}${r.stderr}`).toBe(0);
      // QEMU 7.2 writes the semihosting console to stderr when stdout is not a terminal: read both.
      const rep = parseReport(r.stdout + r.stderr);
      expect(rep.out.toString('hex'), board).toBe(want.toString('hex'));
      expect(rep.top1, board).toBe(best);
      const sizes = execFileSync('arm-none-eabi-size', ['-A', elf], { encoding: 'utf8' });
      const sec = (n: string) => Number(new RegExp(`^\\${n}\\s+(\\d+)`, 'm').exec(sizes)?.[1] ?? 0);
      const flash = sec('.text') + sec('.ARM.exidx') + sec('.data');
      const ram = sec('.data') + sec('.bss') + sec('.stack');
      expect(ram).toBeLessThanOrEqual(ramBytes);
      expect(flash).toBeLessThanOrEqual(flashBytes);
      expect(rep.stack).toBeLessThan(sec('.stack'));
      rows.push(`${board}: flash ${flash} B (text+rodata ${sec('.text')}, data ${sec('.data')}), RAM ${ram} B of ${ramBytes} `
        + `(data+bss ${sec('.data') + sec('.bss')} incl. arena ${c.memory.arenaBytes}, stack reserved ${sec('.stack')}, used ${rep.stack}); top-1 ${rep.top1}`);
    }
    console.log(`mcu-qemu lenet (terms 2):\n  ${rows.join('\n  ')}`);
  });

  // Their untiled arenas (52 KB, 23.5 KB) overflow the micro:bit; --ram-budget runs their early layers in patches.
  it.each([['resnet'], ['squeeze']])('%s with --ram-budget 15200 runs on the micro:bit (16 KB RAM incl. a 1 KB stack) equal to runInteger', (name) => {
    const calib = readNpy(readInputFile(`${EX}data/calib-256.npy`), 'calib');
    const sample = readNpy(readInputFile(`${EX}data/sample.npy`), 'sample');
    const { graph } = compile(loadModel(`${EX}${name}.onnx`), { calibration: [calib], terms: 2 });
    const c = emitC(graph, { name, ramBudget: 15200 });
    const { inT, outT } = ioTypes(c.header);
    const q = quantizeInput(sample, graph.values[graph.inputs[0]!]!.quant?.frac ?? 0, inT === 'int16_t' ? 16 : 8);
    const [y] = runInteger(graph, [q]) as [Tensor];
    const gen = path.join(dir, `gen-${name}`);
    fs.mkdirSync(gen, { recursive: true });
    fs.writeFileSync(path.join(gen, `${name}.h`), c.header);
    fs.writeFileSync(path.join(gen, `${name}.c`), c.source);
    fs.writeFileSync(path.join(gen, 'input.h'), inputHeader(name, inT, outT, q.data));
    const out = path.join(dir, `microbit-${name}`);
    execFileSync('make', ['-s', '-C', MCU, 'BOARD=microbit', `NAME=${name}`, `GEN=${gen}`, `OUT=${out}`, 'EXTRA=-Werror', 'STACK=1024'], { stdio: 'pipe' });
    const elf = path.join(out, 'app.elf');
    const r = spawnSync('qemu-system-arm', ['-M', 'microbit', '-nographic', '-monitor', 'none', '-serial', 'none',
      '-semihosting-config', 'enable=on,target=native', '-kernel', elf], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, `qemu exit status; output:\n${r.stdout}${r.stderr}`).toBe(0);
    const rep = parseReport(r.stdout + r.stderr);
    expect(rep.out.toString('hex')).toBe(Buffer.from(y.data.buffer, y.data.byteOffset, y.data.byteLength).toString('hex'));
    const sizes = execFileSync('arm-none-eabi-size', ['-A', elf], { encoding: 'utf8' });
    const sec = (n: string) => Number(new RegExp(`^\\${n}\\s+(\\d+)`, 'm').exec(sizes)?.[1] ?? 0);
    expect(sec('.data') + sec('.bss') + sec('.stack')).toBeLessThanOrEqual(16 << 10);
    expect(rep.stack).toBeLessThan(sec('.stack'));
  });
});
