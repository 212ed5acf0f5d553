// A compile that fills the JavaScript heap (12 MB old space: light/squeezenet now compiles within 30 MB) ends in one SAC025 line naming the stage and node, not a V8 crash (exit 134).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectDiagnostic, runCli } from './helpers/cli.js';
import { dataRoot, haveData } from './helpers/conformance.js';

const model = path.join(dataRoot, 'light', 'light_squeezenet.onnx');

describe.skipIf(!haveData || !fs.existsSync(model))('out of memory', () => {
  it('light/squeezenet with a 12 MB old space: SAC025 at the node, what to do, no output folder', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sac-oom-'));
    // 8 pseudo-random images [8, 3, 224, 224] float32 as .npy v1 (10-byte preamble + header text = 128 bytes).
    const text = `${"{'descr': '<f4', 'fortran_order': False, 'shape': (8, 3, 224, 224), }".padEnd(117)}\n`;
    const n = 8 * 3 * 224 * 224;
    const data = new Float32Array(n).map((_, i) => ((i * 2654435761) >>> 0) / 2 ** 32);
    const pre = Buffer.concat([Buffer.from('\x93NUMPY\x01\x00', 'latin1'), Buffer.from([text.length & 255, text.length >> 8]), Buffer.from(text, 'latin1')]);
    fs.writeFileSync(path.join(dir, 'calib.npy'), Buffer.concat([pre, Buffer.from(data.buffer)]));
    const out = path.join(dir, 'out');
    const r = runCli(['--quiet', 'compile', model, '--calibrate', 'calib.npy', '--target', 'c', '-o', out], dir, { NODE_OPTIONS: '--max-old-space-size=12' });
    expectDiagnostic(r, 'SAC025');
    expect(r.err).toMatch(/out of memory: the JavaScript heap is full \(at (calibrate|lower|recover|emit c)\b.* node '[^']+' \d+\/\d+\); .*--max-old-space-size/);
    expect(fs.existsSync(out)).toBe(false);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
