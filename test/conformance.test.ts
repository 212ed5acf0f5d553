// ONNX backend conformance: runs the official node test cases through the importer and float interpreter.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { runGraph } from '../src/ir/interp-float.js';
import { checkOutputs, dataRoot, haveData, load, readTensor, runCase, summary, SUITES } from './helpers/conformance.js';

if (!haveData) console.log(`conformance: skipped, ONNX backend data not found at ${dataRoot}`);

describe.skipIf(!haveData)('ONNX backend conformance', () => {
  afterAll(() => console.log(summary('conformance')));

  const cases = haveData
    ? SUITES.flatMap((s) => (fs.existsSync(path.join(dataRoot, s)) ? fs.readdirSync(path.join(dataRoot, s)).sort().map((c) => path.join(dataRoot, s, c)) : []))
    : [];
  for (const dir of cases) {
    const name = `${path.basename(path.dirname(dir))}/${path.basename(dir)}`;
    it(name, (ctx) => runCase(name, (n) => ctx.skip(n), () => {
      const g = load(path.join(dir, 'model.onnx'));
      if (Array.isArray(g)) return g;
      const sets = fs.readdirSync(dir).filter((d) => d.startsWith('test_data_set_')).sort();
      for (const set of sets) {
        const files = fs.readdirSync(path.join(dir, set));
        const pick = (prefix: string) => files.filter((f) => f.startsWith(prefix)).sort((a, b) => parseInt(a.slice(prefix.length)) - parseInt(b.slice(prefix.length))).map((f) => readTensor(path.join(dir, set, f)));
        const outs = runGraph(g, pick('input_'));
        checkOutputs(`${name}/${set}`, outs, pick('output_'), 1e-3, 1e-7);
      }
    }));
  }
});
