// CLI end to end for --mode shiftadd: lenet compiled to C with ShiftAddNet pairs, eval, and the option errors.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectDiagnostic, runCli } from './helpers/cli.js';

const root = path.resolve(new URL('.', import.meta.url).pathname, '..');
const lenet = path.join(root, 'examples', 'lenet.onnx');
const calib = path.join(root, 'examples', 'data', 'calib-256.npy');
const images = path.join(root, 'examples', 'data', 'test-images-16.npy');
const labels = path.join(root, 'examples', 'data', 'test-labels-16.npy');

describe('shiftaddc --mode shiftadd', () => {
  it('compiles lenet to C with an adder layer per paired conv; the report says what was paired and kept', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sac-pair-'));
    const r = runCli(['--quiet', 'compile', lenet, '--calibrate', calib, '--mode', 'shiftadd', '--target', 'c', '-o', dir], root);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8'));
    expect(report.options.mode).toBe('shiftadd');
    expect(report.adderLayers.map((l: { name: string }) => l.name)).toEqual(['/conv2/Conv']);
    expect(report.notes.join('\n')).toMatch(/convolution '\/conv1\/Conv' kept as a shift-add layer \(the stem/);
    expect(report.notes.join('\n')).toMatch(/'\/conv2\/Conv' is a shift conv \(16 channels\) and a 1x1 adder conv; layer error .* after distillation/);
    expect(fs.readFileSync(path.join(dir, 'lenet.c'), 'utf8')).toMatch(/adder/i);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('eval runs the paired network (interp and C agree)', () => {
    const args = ['--quiet', 'eval', lenet, '--data', images, '--labels', labels, '--calibrate', calib, '--mode', 'shiftadd', '--json'];
    const a = runCli(args, root);
    expect(a.code, a.err).toBe(0);
    const b = runCli([...args, '--backend', 'c'], root);
    expect(b.code, b.err).toBe(0);
    const ja = JSON.parse(a.out);
    const jb = JSON.parse(b.out);
    expect(jb.shift).toEqual(ja.shift);
    expect(ja.shift.top1).toBeGreaterThan(0.75);
  });

  it('refuses --pair-all without --mode shiftadd, and an unknown mode (SAC040)', () => {
    expectDiagnostic(runCli(['eval', lenet, '--data', images, '--labels', labels, '--calibrate', calib, '--pair-all'], root), 'SAC040');
    expectDiagnostic(runCli(['eval', lenet, '--data', images, '--labels', labels, '--calibrate', calib, '--mode', 'adder'], root), 'SAC040');
  });
});
