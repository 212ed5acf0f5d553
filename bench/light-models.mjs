// bench/light-models: every light/ ImageNet model (random weights) through `shiftaddc compile --target c` with recovery
// (8 random calibration images [8, 3, 224, 224] in [0, 1)): result, wall time and peak RSS (GNU time), the report's own
// compile time and shift-add layers, the C output's size (NAME.c, NAME_weights.bin). One model at a time, under nice.
// Usage: npm run build && node bench/light-models.mjs [--no-recover] [--images N] [--timeout S] [--dir LIGHT] [model...]
//        (model: squeezenet, resnet50, ... ; default all nine). Needs /usr/bin/time.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(new URL('.', import.meta.url).pathname, '..');
const argv = process.argv.slice(2);
const flag = (name, dflt) => { const i = argv.indexOf(name); return i < 0 ? dflt : argv.splice(i, 2)[1]; };
const light = flag('--dir', path.resolve(root, '..', 'shared', 'onnx-backend-data', 'light'));
const noRecover = argv.includes('--no-recover') ? (argv.splice(argv.indexOf('--no-recover'), 1), true) : false;
const images = Number(flag('--images', '8'));
const timeout = Number(flag('--timeout', '900'));
const all = fs.existsSync(light) ? fs.readdirSync(light).filter((f) => /^light_.*\.onnx$/.test(f)).map((f) => f.slice(6, -5)).sort() : [];
const models = argv.length ? argv : all;
if (!models.length) { console.error(`no light/ models in ${light}`); process.exit(1); }

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sac-light-'));
// float32 .npy v1: preamble + header padded to 128 bytes; values from a fixed LCG (uniform in [0, 1)).
const shape = [images, 3, 224, 224];
const text = `${`{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}), }`.padEnd(117)}\n`;
const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
let s = 12345;
for (let i = 0; i < data.length; i++) { s = (Math.imul(s, 1103515245) + 12345) >>> 0; data[i] = s / 2 ** 32; }
const calib = path.join(tmp, 'calib.npy');
fs.writeFileSync(calib, Buffer.concat([Buffer.from('\x93NUMPY\x01\x00', 'latin1'), Buffer.from([text.length, 0]), Buffer.from(text, 'latin1'), Buffer.from(data.buffer)]));

const mode = noRecover ? '--no-recover' : 'default recovery';
console.log(`# light/ models through compile --target c, ${mode}, ${images} calibration images; ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)} at start`);
console.log('model           result   wall      peak RSS   compile   layers  NAME.c     weights.bin  note');
for (const m of models) {
  const out = path.join(tmp, m);
  // timeout(1) inside GNU time stops the compile itself (a timeout of spawnSync would only stop time, leaving it running).
  const args = ['-f', '%e %M', 'timeout', String(timeout), 'nice', '-n', '10', process.execPath, path.join(root, 'bin', 'shiftaddc.js'), '--quiet', 'compile', path.join(light, `light_${m}.onnx`),
    '--calibrate', calib, '--target', 'c', '-o', out, ...(noRecover ? ['--no-recover'] : [])];
  const r = spawnSync('/usr/bin/time', args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  const lines = (r.stderr ?? '').trim().split('\n');
  const [wall, kb] = (lines.at(-1) ?? '').split(' ').map(Number);
  const size = (f) => (fs.existsSync(f) ? `${(fs.statSync(f).size / 2 ** 20).toFixed(1)} MB` : '-');
  const result = r.status === 0 ? 'C' : r.status === 124 ? 'timeout' : 'fails';
  let compile = '-';
  let layers = '-';
  const rep = path.join(out, 'report.json');
  if (result === 'C' && fs.existsSync(rep)) {
    const j = JSON.parse(fs.readFileSync(rep, 'utf8'));
    compile = `${j.seconds.toFixed(1)} s`;
    layers = String(j.layers.length);
  }
  const note = result === 'fails' ? lines.find((l) => /error SAC|internal error/.test(l)) ?? lines[0] ?? '' : '';
  const cell = (v, n) => String(v).padEnd(n);
  console.log(`${cell(m, 16)}${cell(result, 9)}${cell(Number.isFinite(wall) && result !== 'timeout' ? `${wall.toFixed(1)} s` : `${timeout} s`, 10)}${cell(Number.isFinite(kb) && result !== 'timeout' ? `${(kb / 2 ** 20).toFixed(2)} GB` : '-', 11)}${cell(compile, 10)}${cell(layers, 8)}${cell(size(path.join(out, `light_${m}.c`)), 11)}${cell(size(path.join(out, `light_${m}_weights.bin`)), 13)}${note}`);
  fs.rmSync(out, { recursive: true, force: true });
}
fs.rmSync(tmp, { recursive: true, force: true });
