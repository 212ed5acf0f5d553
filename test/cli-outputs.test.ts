// The CLI's outputs are a transaction: bad output paths fail before any work, a failed or interrupted compile
// leaves the previous outputs and no temporary files, signals exit 130/143 with one line, usage errors have a code.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, expectDiagnostic, runCli } from './helpers/cli.js';
import { parseGraph } from '../src/ir/parser.js';
import { printGraph } from '../src/ir/printer.js';

const root = path.resolve(new URL('.', import.meta.url).pathname, '..');
const EX = path.join(root, 'examples');
const CALIB = path.join(EX, 'data', 'calib-256.npy');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sac-cli-out-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** An output folder holding a previous compile's files (their content marks them as old). */
function previous(name: string): string {
  const out = path.join(dir, name);
  fs.mkdirSync(out);
  for (const f of ['lenet.shift.ir', 'report.json', 'report.md']) fs.writeFileSync(path.join(out, f), 'old');
  return out;
}
const snapshot = (out: string) => Object.fromEntries(fs.readdirSync(out).sort().map((f) => {
  const p = path.join(out, f);
  return [f, fs.statSync(p).isDirectory() ? '<folder>' : fs.readFileSync(p, 'utf8')];
}));
const strays = () => fs.readdirSync(dir).filter((f) => f.includes('.shiftaddc-'));

function interrupted(signal: 'SIGINT' | 'SIGTERM', out: string): Promise<{ code: number | null; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'compile', path.join(EX, 'resnet.onnx'), '--calibrate', CALIB, '--target', 'c', '-o', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => { err += d; });
    // Well inside the conversion (a resnet compile takes seconds), after the CLI started its worker.
    setTimeout(() => child.kill(signal), 1200);
    child.on('exit', (code) => resolve({ code, err }));
  });
}

describe('CLI outputs', () => {
  it('rejects unusable -o / --output paths before converting, writing nothing', () => {
    fs.writeFileSync(path.join(dir, 'file'), '');
    const compile = (o: string) => runCli(['compile', path.join(EX, 'lenet.onnx'), '--calibrate', CALIB, '-o', o], dir);
    for (const o of ['', path.join(dir, 'file'), path.join(dir, 'file', 'below'), '/proc/shiftaddc-out']) expectDiagnostic(compile(o), 'SAC041');
    const run = (o: string) => runCli(['run', path.join(EX, 'lenet.onnx'), '--input', path.join(EX, 'data', 'sample.npy'), '--output', o], dir);
    for (const o of ['', dir, path.join(dir, 'missing', 'y.npy')]) expectDiagnostic(run(o), 'SAC041');
    expect(strays()).toEqual([]);
  });

  it('an invalid option or a failing emit leaves the previous outputs untouched', () => {
    const out = previous('bad-name');
    expectDiagnostic(runCli(['compile', path.join(EX, 'lenet.onnx'), '--calibrate', CALIB, '--target', 'c', '--name', 'not a name', '-o', out], dir), 'SAC040');
    fs.mkdirSync(path.join(out, 'lenet.h'));
    const before = snapshot(path.join(dir, 'bad-name'));
    expectDiagnostic(runCli(['compile', path.join(EX, 'lenet.onnx'), '--calibrate', CALIB, '--target', 'c', '-o', out], dir), 'SAC041');
    expect(snapshot(out)).toEqual(before);
    expect(strays()).toEqual([]);
  });

  it('a successful compile replaces every file at once (the IR only with --emit-ir; a stale one is removed)', () => {
    const out = previous('ok');
    const r = runCli(['compile', path.join(EX, 'lenet.onnx'), '--calibrate', CALIB, '--target', 'c', '--emit-ir', '-o', out], dir);
    expect(r.code, r.err).toBe(0);
    const now = snapshot(out);
    expect(Object.keys(now)).toEqual(['lenet.c', 'lenet.h', 'lenet.shift.ir', 'lenet_io.c', 'report.json', 'report.md']);
    expect(Object.values(now).every((v) => v !== 'old')).toBe(true);
    // Elided by default: large constants as crc32, small ones inline.
    expect(now['lenet.shift.ir']).toMatch(/= elided\(crc32=[0-9a-f]{8}\)/);
    const plain = runCli(['compile', path.join(EX, 'lenet.onnx'), '--calibrate', CALIB, '-o', out], dir);
    expect(plain.code, plain.err).toBe(0);
    expect(Object.keys(snapshot(out))).toEqual(['lenet.c', 'lenet.h', 'lenet_io.c', 'report.json', 'report.md']);
  });

  it('--emit-ir=full writes every constant inline (the text parses back to the same graph); a bad value is SAC040', () => {
    const out = path.join(dir, 'full-ir');
    const r = runCli(['compile', path.join(EX, 'lenet.onnx'), '--calibrate', CALIB, '--emit-ir=full', '-o', out], dir);
    expect(r.code, r.err).toBe(0);
    const text = fs.readFileSync(path.join(out, 'lenet.shift.ir'), 'utf8');
    expect(text).not.toMatch(/elided/);
    expect(printGraph(parseGraph(text), { elideConstantsOver: Infinity })).toBe(text);
    expectDiagnostic(runCli(['compile', path.join(EX, 'lenet.onnx'), '--calibrate', CALIB, '--emit-ir=some', '-o', out], dir), 'SAC040');
  });

  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    it(`${signal} during a compile exits ${code} with one line and leaves the previous outputs`, async () => {
      const out = previous(signal);
      const r = await interrupted(signal, out);
      expect(r.code).toBe(code);
      expect(r.err.trim().split('\n')).toEqual([`shiftaddc: interrupted by ${signal}; no output was changed`]);
      expect(Object.values(snapshot(out))).toEqual(['old', 'old', 'old']);
      expect(strays()).toEqual([]);
    });
  }

  it('usage errors are one coded line without the help text', () => {
    expectDiagnostic(runCli(['frobnicate'], dir), 'SAC043');
    expectDiagnostic(runCli(['compile', path.join(EX, 'lenet.onnx'), '-o', path.join(dir, 'u'), '--bogus'], dir), 'SAC043');
    expectDiagnostic(runCli(['compile', path.join(EX, 'lenet.onnx')], dir), 'SAC043');
    expect(runCli(['--help'], dir).out).toMatch(/^Usage: shiftaddc/);
  });
});
