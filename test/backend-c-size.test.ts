// Size figures of the emitted C: the exact table bytes against an independent count of NAME.c, the measured flash against a linked image, the off switch.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cBackend, cSize } from '../src/backends/c/backend.js';
import { emitC } from '../src/backends/c/emit.js';
import { getBackend, selectOptions } from '../src/backends/registry.js';
import { targetValues } from '../src/cli-options.js';
import { MEASURE_FLAGS, haveCrossCompiler } from '../src/backends/c/measure-size.js';
import { emittedSize } from '../src/backends/c/size.js';
import { compile } from '../src/compile.js';
import { loadModel } from '../src/api.js';
import { readNpy } from '../src/io/npy.js';
import { numel, tensor } from '../src/ir/tensor.js';

const EX = new URL('../examples/', import.meta.url).pathname;
const BYTES: Record<string, number> = { int8_t: 1, uint8_t: 1, int16_t: 2, uint16_t: 2, int32_t: 4, uint32_t: 4 };

/** Every `const` array defined anywhere in the text (any indentation or storage), bytes counted from its initialiser's values. */
function countTables(source: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of source.matchAll(/\bconst\s+(\w+)\s+(\w+)\s*\[[^\]]*\]\s*=\s*\{([^}]*)\}/g)) {
    const values = m[3]!.split(',').filter((v) => v.trim() !== '').length;
    out.set(m[2]!, values * (BYTES[m[1]!] ?? 4));
  }
  return out;
}

describe('C size figures', () => {
  const calib0 = readNpy(fs.readFileSync(`${EX}data/calib-256.npy`), 'calib');
  const per = numel(calib0.shape.slice(1));
  const calib = tensor('float32', [32, ...calib0.shape.slice(1)], calib0.data.subarray(0, 32 * per));
  for (const [m, weights] of [['lenet', 'auto'], ['dwsep', 'auto'], ['lenet', 'data'], ['squeeze', 'packed']] as const) {
    it(`${m} --weights ${weights}: every const table of NAME.c is counted, weights and tables add up to it`, () => {
      const graph = compile(loadModel(`${EX}${m}.onnx`), { calibration: [calib], terms: 2 }).graph;
      const out = cBackend.emit(graph, { name: m, weights, measureSize: false });
      const source = out.files.find((f) => f.name === `${m}.c`)!.data as string;
      const size = out.stats.size!;
      const counted = countTables(source);
      expect(new Set(size.tables.map((t) => t.name))).toEqual(new Set(counted.keys()));
      for (const t of size.tables) expect(t.bytes, t.name).toBe(counted.get(t.name));
      expect(size.weightBytes + size.tableBytes).toBe([...counted.values()].reduce((a, b) => a + b, 0));
      // The weight streams are the ones the codegen accounted (flash.weightBytes: streams and decode tables of data layers).
      expect(size.weightBytes).toBeGreaterThan(0);
      expect(size.weightBytes).toBeLessThanOrEqual(out.stats.weightBytes);
      expect(size.arenaBytes).toBe(out.stats.memory.arenaBytes);
      expect(size.staticRamBytes).toBe(out.stats.memory.arenaBytes);
      expect(size.notMeasured).toBe('off');
      expect(size.measured).toBeUndefined();
      expect(out.summary).toContain('not measured: off');
      expect(emittedSize(source, size.arenaBytes, 0).tables).toEqual(size.tables);
    });
  }

  it.skipIf(!haveCrossCompiler())('measured flash is within 3% of arm-none-eabi-size of a linked Cortex-M0 image minus an empty one', () => {
    const graph = compile(loadModel(`${EX}lenet.onnx`), { calibration: [calib], terms: 2 }).graph;
    const out = cBackend.emit(graph, { name: 'lenet', weights: 'auto' });
    const m = out.stats.size!.measured!;
    expect(m.compiler).toMatch(/arm-none-eabi-gcc/);
    expect(out.summary).toContain('measured');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sac-size-test-'));
    try {
      for (const f of out.files) fs.writeFileSync(path.join(dir, f.name), f.data);
      fs.writeFileSync(path.join(dir, 'main.c'), '#include "lenet.h"\nstatic int8_t in[LENET_INPUT_SIZE]; static int16_t out[LENET_OUTPUT_SIZE];\nint main(void) { return lenet_run(in, out); }\n');
      fs.writeFileSync(path.join(dir, 'empty.c'), 'int main(void) { return 0; }\n');
      const link = (o: string, srcs: string[]) => {
        const r = spawnSync('arm-none-eabi-gcc', [...MEASURE_FLAGS, '--specs=nosys.specs', '-I', '.', ...srcs, '-o', o], { cwd: dir, encoding: 'utf8' });
        expect(r.status, r.stderr).toBe(0);
        const s = spawnSync('arm-none-eabi-size', ['-A', o], { cwd: dir, encoding: 'utf8' }).stdout;
        const sec = (re: RegExp) => [...s.matchAll(/^(\.\S+)\s+(\d+)/gm)].reduce((n, x) => n + (re.test(x[1]!) ? Number(x[2]) : 0), 0);
        return { flash: sec(/^\.(text|rodata|data|ARM\.exidx|init|fini)/), ram: sec(/^\.(data|bss)$/) };
      };
      const full = link('full.elf', ['main.c', 'lenet.c']);
      const empty = link('empty.elf', ['empty.c']);
      const flash = full.flash - empty.flash;
      expect(Math.abs(m.flashBytes - flash) / flash).toBeLessThan(0.03);
      // The harness's own buffers: the int8 input and the int16 output.
      const io = numel(graph.values[graph.inputs[0]!]!.type.shape) + 2 * numel(graph.values[graph.outputs[0]!]!.type.shape);
      expect(Math.abs(m.ramBytes - (full.ram - empty.ram - io))).toBeLessThanOrEqual(16);
      expect(m.codeBytes + m.weightBytes + m.tableBytes).toBe(m.flashBytes);
      expect(m.weightBytes).toBeGreaterThan(0.9 * out.stats.size!.weightBytes);
      // The stack: NAME_run's frames down to a kernel, at least the deepest layer's frame, well under a KB here.
      expect(m.stackBytes).toBeGreaterThan(16);
      expect(m.stackBytes).toBeLessThan(1024);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a weights-blob build counts NAME_weights.bin as weights, measured too (the object links it as an extern)', () => {
    const graph = compile(loadModel(`${EX}lenet.onnx`), { calibration: [calib], terms: 2 }).graph;
    const text = emittedSize(emitC(graph, { name: 'lenet', weights: 'data' }).source, 0, 0);
    const c = emitC(graph, { name: 'lenet', weights: 'data', maxConstElements: 0 });
    const size = cSize('lenet', c);
    expect(size.binBytes).toBe(c.weights!.bin.length);
    // The same tables, moved into the blob at 16-byte aligned offsets.
    const moved = size.weightBytes + size.tableBytes - (text.weightBytes + text.tableBytes);
    expect(moved).toBeGreaterThanOrEqual(0);
    expect(moved).toBeLessThan(16 * text.tables.length);
    if (size.measured) {
      expect(size.measured.weightBytes).toBeGreaterThanOrEqual(size.binBytes);
      expect(size.measured.flashBytes).toBeGreaterThan(size.binBytes + size.measured.codeBytes);
    } else expect(size.notMeasured).toBe(haveCrossCompiler() ? 'off' : 'no compiler');
  });

  it('--no-measure-size reaches the backend as measureSize false; not given, measuring is the default', () => {
    expect(cBackend.parseOptions({ measureSize: 'false' }, { model: 'x.onnx' }).measureSize).toBe(false);
    expect(cBackend.parseOptions({}, { model: 'x.onnx' }).measureSize).toBeUndefined();
    // commander gives the negated flag false when given, true (its default) when not: only false is passed on.
    expect(targetValues({ measureSize: false }, 'emit').measureSize).toBe('false');
    expect(targetValues({ measureSize: true }, 'emit').measureSize).toBeUndefined();
    // A target without the option refuses it.
    expect(() => selectOptions({ measureSize: 'false' }, getBackend('wasm'), 'emit')).toThrow(/--no-measure-size is an option of --target c/);
  });
});
