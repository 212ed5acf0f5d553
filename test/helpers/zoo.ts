// Exports examples/zoo models with /usr/bin/python3 (torch + onnx) into a cache keyed by the script and its arguments.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readNpy } from '../../src/io/npy.js';
import type { Tensor } from '../../src/ir/tensor.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SCRIPT = path.join(ROOT, 'examples/zoo/export.py');
export const PYTHON = process.env.SHIFTADDC_PYTHON ?? '/usr/bin/python3';
const CACHE = path.join(os.tmpdir(), 'shiftaddc-zoo-cache');

/** Why the zoo cannot be exported here (no python, or no torch/onnx in it), or undefined when it can. */
export function zooUnavailable(): string | undefined {
  const r = spawnSync(PYTHON, ['-c', 'import torch, onnx'], { encoding: 'utf8' });
  if (r.error) return `${PYTHON} not found (${r.error.message})`;
  if (r.status !== 0) return `${PYTHON} lacks torch or onnx (apt-get install python3-torch python3-onnx): ${r.stderr.trim().split('\n').pop()}`;
  return undefined;
}

export interface ZooModel { dir: string; onnx: string; calib: Tensor; expected: Tensor }

/** Exports `model` with `args` (cached by the script's content and the arguments) and reads its calib/expected. */
export function exportZoo(model: string, args: readonly string[]): ZooModel {
  const key = createHash('sha256').update(fs.readFileSync(SCRIPT)).update(JSON.stringify([model, ...args])).digest('hex').slice(0, 16);
  const dir = path.join(CACHE, `${model}-${key}`);
  const onnx = path.join(dir, 'model.onnx');
  if (!fs.existsSync(path.join(dir, 'done'))) {
    const tmp = `${dir}.tmp${process.pid}`;
    const r = spawnSync(PYTHON, [SCRIPT, model, ...args, '--out', tmp], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`export.py ${model} ${args.join(' ')} failed:\n${r.stderr}`);
    fs.writeFileSync(path.join(tmp, 'done'), '');
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(tmp, dir);
  }
  const npy = (f: string) => readNpy(new Uint8Array(fs.readFileSync(path.join(dir, f))));
  return { dir, onnx, calib: npy('calib.npy'), expected: npy('expected.npy') };
}

/** Samples [from, to) of a stacked tensor, stacked (or one by one with `each`). */
export function rows(t: Tensor, from: number, to: number): Tensor {
  const per = t.data.length / t.shape[0]!;
  return { dtype: t.dtype, shape: [to - from, ...t.shape.slice(1)], data: t.data.slice(from * per, to * per) } as Tensor;
}
