// evaluate(): with pruning, the drop is also measured against the model as given, not only the pruned float model.
import { describe, expect, it } from 'vitest';
import { runFloat } from '../src/api.js';
import { compile } from '../src/compile.js';
import { evaluate } from '../src/eval.js';
import { tensor } from '../src/ir/tensor.js';
import { modelGraph } from './helpers/onnx-builder.js';
import { tinyCnn } from './backend-c-models.js';
import { mulberry32 } from './helpers/prng.js';

describe('evaluate', () => {
  const g = modelGraph(tinyCnn(1));
  const rng = mulberry32(5);
  const data = tensor('float32', [32, 1, 8, 8], Array.from({ length: 32 * 64 }, () => rng()));
  // Labels are the original model's own predictions: its top-1 is 1 by construction.
  const logits = runFloat(g, [data])[0]!;
  const classes = logits.data.length / 32;
  const labels = tensor('int64', [32], Array.from({ length: 32 }, (_, i) => {
    let b = 0;
    for (let j = 1; j < classes; j++) if (logits.data[i * classes + j]! > logits.data[i * classes + b]!) b = j;
    return b;
  }));

  it('reports the original model only when pruning changed it', () => {
    const plain = evaluate(compile(g, { calibration: [data], terms: 2 }), data, labels, undefined, g);
    expect(plain.original).toBeUndefined();
    const pruned = evaluate(compile(g, { calibration: [data], terms: 2, prune: 0.8 }), data, labels, undefined, g);
    expect(pruned.original!.top1).toBe(1);
    expect(pruned.original!.drop).toBeCloseTo(1 - pruned.shift.top1, 12);
  });
});
