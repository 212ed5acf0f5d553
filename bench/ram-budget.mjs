// --ram-budget on the QEMU micro:bit (16 KB RAM): per model, the untiled and the tiled build's instructions per
// inference (mps2-an385 -icount, as bench/mcu-cycles.mjs), their RAM/flash, and the tiled micro:bit run checked
// byte for byte against runInteger. Cortex-M0 code, -Os, terms 2, calib-256, examples/data/sample.npy.
//   node bench/ram-budget.mjs [model[:budget[:weights]]...]   (after `npm run build`; writes bench/results/ram-budget.txt)
import { spawnSync, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadModel, readInputFile } from '../dist/api.js';
import { emitC } from '../dist/backends/c/emit.js';
import { compile } from '../dist/compile.js';
import { quantizeInput, runInteger } from '../dist/ir/interp-int.js';
import { readNpy } from '../dist/io/npy.js';
import { inputHeader, ioTypes } from '../examples/mcu/input-header.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const EX = path.join(ROOT, 'examples');
const MCU = path.join(EX, 'mcu');
// 16 KB minus a 1 KB stack reservation (runs use < 400 B) minus ~100 B of other static data.
const STACK = 1024;
const runs = process.argv.slice(2).length ? process.argv.slice(2) : ['resnet:15200', 'squeeze:15200'];

if (spawnSync('qemu-system-arm', ['--version']).status !== 0) { console.error('qemu-system-arm not installed'); process.exit(1); }
const calib = readNpy(readInputFile(path.join(EX, 'data/calib-256.npy')), 'calib');
const sample = readNpy(readInputFile(path.join(EX, 'data/sample.npy')), 'sample');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'shiftaddc-ram-budget-'));
const ins = (ticks) => (ticks * 40) / 256;

function make(board, gen, out, name, extra = '') {
  const r = spawnSync('make', ['-s', '-C', MCU, `BOARD=${board}`, `NAME=${name}`, `GEN=${gen}`, `OUT=${out}`, `EXTRA=${extra}`, `STACK=${board === 'microbit' ? STACK : ''}`], { encoding: 'utf8' });
  if (r.status !== 0) {
    const overflow = /region [`']?(\w+)'? overflowed by (\d+) bytes/.exec(r.stderr);
    if (overflow) return { error: `does not fit: ${overflow[1]} overflowed by ${overflow[2]} B` };
    throw new Error(`make ${board} ${name} failed:\n${r.stderr}`);
  }
  return { elf: path.join(out, 'app.elf') };
}

function sizes(elf) {
  const t = execFileSync('arm-none-eabi-size', ['-A', elf], { encoding: 'utf8' });
  const sec = (n) => Number(new RegExp(`^\\${n}\\s+(\\d+)`, 'm').exec(t)?.[1] ?? 0);
  return { flash: sec('.text') + sec('.ARM.exidx') + sec('.data'), ram: sec('.data') + sec('.bss') + sec('.stack') };
}

function qemu(board, elf, icount) {
  const args = ['-M', board, ...(icount ? ['-icount', 'shift=8,sleep=off'] : []), '-nographic', '-monitor', 'none', '-serial', 'none',
    '-semihosting-config', 'enable=on,target=native', '-kernel', elf];
  const r = spawnSync('qemu-system-arm', args, { encoding: 'utf8', timeout: 600_000 });
  const text = r.stdout + r.stderr;
  if (r.status !== 0) throw new Error(`${board}: qemu status ${r.status}\n${text}`);
  const hex = (k) => { const m = new RegExp(`^${k}: ([0-9a-f]{8})$`, 'm').exec(text); return m ? parseInt(m[1], 16) : undefined; };
  const out = /out:([\s0-9a-f]*)\ntop1/.exec(text)?.[1].trim().split(/\s+/).join('') ?? '';
  return { out, stack: hex('stack'), run: hex('run'), empty: hex('empty') };
}

/** Writes the C of `c` and input.h into a folder; returns it. */
function gen(dir, name, c, inT, outT, q) {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${name}.h`), c.header);
  fs.writeFileSync(path.join(dir, `${name}.c`), c.source);
  fs.writeFileSync(path.join(dir, 'input.h'), inputHeader(name, inT, outT, q.data));
  return dir;
}

const lines = [];
const log = (s) => { console.log(s); lines.push(s); };
log('# --ram-budget on Cortex-M0 (-mcpu=cortex-m0 -mthumb -Os), terms 2, calib-256, examples/data/sample.npy');
log(`# instructions: mps2-an385 -icount (bench/mcu-cycles.mjs method); micro:bit: 16 KB RAM, ${STACK} B stack reserved; RAM = .data + .bss + stack`);
log('# budget = arena bytes (NAME_ARENA_SIZE); extra work = tiled over untiled shift-add/window work of the whole model, minus 1');
log('');
for (const spec of runs) {
  const [name, b, weights] = spec.split(':');
  const budget = Number(b ?? 15200);
  const { graph } = compile(loadModel(path.join(EX, `${name}.onnx`)), { calibration: [calib], terms: 2 });
  const x = graph.values[graph.inputs[0]];
  const builds = {};
  for (const [k, opts] of [['untiled', {}], ['tiled', { ramBudget: budget }]]) {
    const t0 = performance.now();
    let c;
    try { c = emitC(graph, { name, ...(weights ? { weights } : {}), ...opts }); } catch (e) { log(`${name} --ram-budget ${budget}${weights ? ` --weights ${weights}` : ''}: ${e.code ?? ''} ${e.message}`); break; }
    const seconds = (performance.now() - t0) / 1000;
    const { inT, outT } = ioTypes(c.header);
    const q = quantizeInput(sample, x.quant?.frac ?? 0, inT === 'int16_t' ? 16 : 8);
    const [y] = runInteger(graph, [q]);
    const want = Buffer.from(y.data.buffer, y.data.byteOffset, y.data.byteLength).toString('hex');
    const dir = gen(path.join(work, name, k, 'gen'), name, c, inT, outT, q);
    const bench = make('mps2-an385', dir, path.join(work, name, k, 'bench'), name, '-DMCU_BENCH');
    const r = qemu('mps2-an385', bench.elf, true);
    const mb = make('microbit', dir, path.join(work, name, k, 'microbit'), name);
    const m = mb.error ? null : qemu('microbit', mb.elf, false);
    // timer0 is 32 bits at 6.4 ticks/instruction: past ~671M instructions the count wraps unnoticed.
    if (ins(r.run) > 6e8) log(`${name} ${k}: WARNING: ${Math.round(ins(r.run))} instructions is near the timer0 wrap (671M); figure unreliable`);
    builds[k] = { c, seconds, perInf: Math.round(ins(r.run) - ins(r.empty)), ok: r.out === want, mb, m, want };
  }
  const { untiled, tiled } = builds;
  if (!tiled) continue;
  const t = tiled.c.tiling;
  log(`${name} --ram-budget ${budget}${weights ? ` --weights ${weights}` : ''}: arena ${untiled.c.memory.arenaBytes} -> ${tiled.c.memory.arenaBytes} B; extra work ${(100 * t.extraWork).toFixed(1)}%${t.unpacked ? '; auto used data streams for its packed convolutions (decode scratch)' : ''}; emit ${tiled.seconds.toFixed(1)} s`);
  for (const s of t.segments) {
    log(`  tiled: ${s.nodes.length} nodes ${s.nodes[0]} .. ${s.nodes.at(-1)} as ${s.tiles} patches of ${s.patch.join('x')} of ${s.size.join('x')}, tile arena ${s.arenaBytes} B, recompute +${(100 * s.extraWork).toFixed(1)}% of those nodes`);
  }
  const row = (k, b) => {
    const where = b.mb.error ? `micro:bit ${b.mb.error}` : `micro:bit RAM ${sizes(b.mb.elf).ram} B, flash ${sizes(b.mb.elf).flash} B, stack used ${b.m.stack} B, run ${b.m.out === b.want ? 'matches' : 'DIFFERS FROM'} runInteger`;
    return `  ${k}: ${b.perInf.toLocaleString('en-US')} instructions/inference (mps2-an385, output ${b.ok ? 'matches' : 'DIFFERS FROM'} runInteger); ${where}`;
  };
  log(row('untiled', untiled));
  log(row('tiled  ', tiled));
  log(`  instruction overhead of tiling: ${((tiled.perInf / untiled.perInf - 1) * 100).toFixed(1)}%`);
}
fs.rmSync(work, { recursive: true, force: true });
const dest = path.join(ROOT, 'bench/results/ram-budget.txt');
fs.writeFileSync(dest, `${lines.join('\n')}\n`);
console.log(`-> ${path.relative(ROOT, dest)}`);
