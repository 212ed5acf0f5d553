// Hostile input through the CLI: every case is one coded diagnostic line (exit 1), and model strings never reach a
// terminal, a report or generated code unescaped.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeNpy } from '../src/io/npy.js';
import { buildModel } from './helpers/onnx-builder.js';
import { expectDiagnostic, runCli } from './helpers/cli.js';
import { calib, constantOfShape, convNet, externalModel, hostileName, mkfifo, repeatNet, scratch } from './helpers/hostile-cases.js';
import { mulberry32 } from './helpers/prng.js';

const dir = scratch();
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const put = (name: string, bytes: Uint8Array) => { const f = path.join(dir, name); fs.writeFileSync(f, bytes); return f; };
const CAL = put('calib.npy', writeNpy(calib()));
/** Control characters other than newline: what a terminal would interpret. */
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/;

describe('CLI on hostile input', () => {
  it('bad models, files and sizes end in one coded line each', () => {
    const inf = put('inf.onnx', buildModel(convNet((i) => (i === 3 ? Infinity : 0.25))));
    const huge = put('huge.onnx', buildModel(constantOfShape(2 ** 29 - 1, 6)));
    const tile = put('tile.onnx', buildModel(repeatNet('Tile', [1, 1, 2 ** 14, 2 ** 14])));
    const fifo = path.join(dir, 'fifo.npy');
    mkfifo(fifo);
    const extDir = path.join(dir, 'ext');
    fs.mkdirSync(extDir);
    const ext = externalModel(extDir, 'w.bin');
    mkfifo(path.join(extDir, 'w.bin'));
    const good = put('good.onnx', buildModel(convNet()));
    const cases: [string, string[]][] = [
      ['SAC017', ['compile', inf, '--calibrate', CAL, '--target', 'c', '-o', path.join(dir, 'o1')]],
      ['SAC009', ['inspect', huge]],
      ['SAC009', ['run', tile, '--input', CAL]],
      ['SAC019', ['run', good, '--input', fifo]],
      ['SAC019', ['inspect', '/dev/zero']],
      ['SAC019', ['inspect', ext]],
      ['SAC023', ['compile', good, '--calibrate', put('nan.npy', writeNpy(calib(8, { at: 5, value: NaN }))), '-o', path.join(dir, 'o2')]],
      ['SAC020', ['run', good, '--input', put('bad.npy', new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 9, 0]))]],
    ];
    for (const [code, args] of cases) {
      const t0 = Date.now();
      expectDiagnostic(runCli(args, dir), code);
      expect(Date.now() - t0, args.join(' ')).toBeLessThan(20_000);
    }
    expect(fs.existsSync(path.join(dir, 'o1')) || fs.existsSync(path.join(dir, 'o2'))).toBe(false);
  });

  it('the size limits are overridable from the command line (before or after the command)', () => {
    const good = put('limits.onnx', buildModel(convNet()));
    expectDiagnostic(runCli(['inspect', good, '--max-elements', '8'], dir), 'SAC009');
    expectDiagnostic(runCli(['--max-file-bytes', '100', 'inspect', good], dir), 'SAC019');
    expectDiagnostic(runCli(['run', good, '--input', CAL, '--max-file-bytes', '100'], dir), 'SAC019');
    expectDiagnostic(runCli(['inspect', good, '--max-elements', '-1'], dir), 'SAC040');
    expect(runCli(['inspect', good, '--max-elements', '100000'], dir).code).toBe(0);
  });

  it('hostile node and value names are escaped in diagnostics, inspect, run, report.md, the C, the JS loader and the hardware files', () => {
    const rng = mulberry32(9);
    for (let k = 0; k < 4; k++) {
      const spec = convNet();
      spec.nodes.forEach((n) => { n.name = hostileName(rng).slice(0, 5000); });
      const model = put(`names${k}.onnx`, buildModel(spec));
      const out = path.join(dir, `names${k}`);
      const runs = [
        runCli(['inspect', model], dir),
        runCli(['run', model, '--input', CAL], dir),
        runCli(['compile', model, '--calibrate', CAL, '--target', 'c', '--name', 'm', '-o', out], dir),
        runCli(['compile', model, '--calibrate', CAL, '--target', 'wasm', '-o', `${out}-wasm`], dir),
        runCli(['compile', model, '--calibrate', CAL, '--target', 'hw', '-o', `${out}-hw`], dir),
      ];
      for (const r of runs) {
        expect(r.code, r.err).toBe(0);
        expect(r.out).not.toMatch(CONTROL);
        expect(r.err).not.toMatch(CONTROL);
        expect(Math.max(...r.out.split('\n').map((l) => l.length))).toBeLessThan(2000);
      }
      for (const o of [out, `${out}-wasm`, `${out}-hw`]) {
        for (const f of fs.readdirSync(o).filter((f) => /\.(md|c|h|mjs|ts|vh|v|hex)$/.test(f))) expect(fs.readFileSync(path.join(o, f), 'utf8'), f).not.toMatch(CONTROL);
      }
    }
    // An unsupported op type carrying escape sequences: the diagnostic shows them escaped, in one short line.
    const spec = convNet();
    spec.nodes[1]!.op = '\x1b]0;pwned\x07Evil';
    const r = runCli(['inspect', put('evil.onnx', buildModel(spec))], dir);
    expect(r.code).toBe(1);
    expect(r.err).not.toMatch(CONTROL);
    expect(r.err).toContain('\\x1b]0;pwned\\x07Evil');
  });
});
