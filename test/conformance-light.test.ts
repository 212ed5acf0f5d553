// ONNX backend conformance on the light/ real architectures (generated weights): importer and float interpreter.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { runGraph } from '../src/ir/interp-float.js';
import { numel, type Tensor } from '../src/ir/tensor.js';
import { checkOutputs, dataRoot, haveData, load, readTensor, runCase, summary } from './helpers/conformance.js';

describe.skipIf(!haveData)('ONNX backend conformance: light/ models', () => {
  afterAll(() => console.log(summary('conformance light/')));

  // Real architectures with generated weights: input is arange(n)/n, tolerances come from real/test_NAME/data.json.
  const lightDir = path.join(dataRoot, 'light');
  const light = haveData && fs.existsSync(lightDir) ? fs.readdirSync(lightDir).filter((f) => /^light_.*\.onnx$/.test(f)).sort() : [];
  for (const file of light) {
    const model = file.slice('light_'.length, -'.onnx'.length);
    const name = `light/${model}`;
    it(name, { timeout: 600_000 }, (ctx) => runCase(name, (n) => ctx.skip(n), () => {
      const g = load(path.join(lightDir, file));
      if (Array.isArray(g)) return g;
      const meta = JSON.parse(fs.readFileSync(path.join(dataRoot, 'real', `test_${model}`, 'data.json'), 'utf8')) as { rtol?: number; atol?: number };
      const inputs = g.inputs.map((id) => {
        const t = g.values[id]!.type;
        const n = numel(t.shape);
        const data = new Float32Array(n);
        for (let i = 0; i < n; i++) data[i] = i / n;
        return { dtype: t.dtype, shape: t.shape, data } as Tensor;
      });
      const outs = runGraph(g, inputs);
      checkOutputs(name, outs, [readTensor(path.join(lightDir, `light_${model}_output_0.pb`))], meta.rtol ?? 1e-3, meta.atol ?? 1e-7);
    }));
  }
});
