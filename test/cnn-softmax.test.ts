// A trailing Softmax/LogSoftmax behind shape ops is dropped (argmax kept), said in the report; the output keeps its name.
import { describe, expect, it } from 'vitest';
import { reportMarkdown } from '../src/report-md.js';
import { randn } from './backend-c-models.js';
import { agreement, compileModel, expectCBitExact, samples } from './helpers/coverage.js';
import { modelGraph, type ModelSpec } from './helpers/onnx-builder.js';
import { mulberry32 } from './helpers/prng.js';

/** Conv + ReLU + flatten + Gemm, then Softmax (opset 11: coerced to 2-D, i.e. Reshape/Softmax/Reshape) + Reshape. */
function softmaxNet(seed: number, kind: 'Softmax' | 'LogSoftmax', opset: number): ModelSpec {
  const rng = mulberry32(seed);
  return {
    opset,
    inputs: [{ name: 'x', shape: [1, 2, 6, 6] }],
    initializers: [
      { name: 'w1', dims: [4, 2, 3, 3], data: randn(rng, 72, 0.4) }, { name: 'wf', dims: [5, 64], data: randn(rng, 320, 0.2) },
      { name: 'shape', dims: [4], data: [1, 5, 1, 1], dtype: 'int64' },
    ],
    nodes: [
      { op: 'Conv', inputs: ['x', 'w1'], outputs: ['c1'], name: 'conv' },
      { op: 'Relu', inputs: ['c1'], outputs: ['r1'], name: 'relu' },
      { op: 'Flatten', inputs: ['r1'], outputs: ['f'], name: 'flatten' },
      { op: 'Gemm', inputs: ['f', 'wf'], outputs: ['logits'], attrs: { transB: 1 }, name: 'fc' },
      { op: kind, inputs: ['logits'], outputs: ['p'], attrs: { axis: 1 }, name: 'prob' },
      { op: 'Reshape', inputs: ['p', 'shape'], outputs: ['probs'], name: 'unflat' },
    ],
    outputs: ['probs'],
  };
}

describe('trailing Softmax / LogSoftmax', () => {
  for (const [kind, opset] of [['Softmax', 11], ['LogSoftmax', 13]] as const) {
    it(`${kind} (opset ${opset}) + Reshape: dropped, output name kept, noted, top-1 agrees, C bit-exact`, () => {
      const g = modelGraph(softmaxNet(3, kind, opset));
      const calib = samples(g, 16, 5);
      const res = compileModel(g, calib.stacked);
      expect(res.graph.values[res.graph.outputs[0]!]!.name).toBe('probs');
      expect(res.graph.nodes.map((n) => n.op.kind)).not.toContain(kind);
      expect(res.report.notes).toHaveLength(1);
      expect(res.report.notes[0]).toMatch(new RegExp(`dropped ${kind} 'prob' before output 'probs'.*argmax is unchanged`));
      expect(reportMarkdown(res.report, 't')).toContain(`- dropped ${kind} 'prob'`);
      const test = samples(g, 64, 9).each;
      // The model as given (with its softmax) against the logits: the argmax is what is kept.
      expect(agreement(g, res, test).top1).toBeGreaterThanOrEqual(0.9);
      const c = expectCBitExact(res, `sm_${kind.toLowerCase()}`, test.slice(0, 8));
      expect(c.equal).toBe(true);
      expect(c.stars).toEqual([]);
    });
  }

  it('a Softmax inside the network is refused, not dropped', () => {
    const spec = softmaxNet(4, 'Softmax', 13);
    const nodes = [...spec.nodes.slice(0, 2), { op: 'Softmax', inputs: ['r1'], outputs: ['s1'], attrs: { axis: 1 }, name: 'inner' },
      { op: 'Flatten', inputs: ['s1'], outputs: ['f'], name: 'flatten' }, ...spec.nodes.slice(3)];
    const g = modelGraph({ ...spec, nodes });
    expect(() => compileModel(g, samples(g, 4, 1).stacked)).toThrow(/Softmax inside the network has no shift-add lowering/);
  });
});
