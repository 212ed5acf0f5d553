// fuse-hard-swish: Mul(x, HardSigmoid(x)) with alpha 1/6, beta 1/2 (Hardswish as exported before opset 14) -> HardSwish(x).
import { producers, useLists, type Graph } from '../ir/graph.js';
import type { Pass } from './context.js';
import { Rewriter } from './rewriter.js';

export const fuseHardSwish: Pass = { name: 'fuse-hard-swish', run: fuseAll };

/** float32 attributes hold 1/6 to about 1e-8. */
const near = (a: number, b: number) => Math.abs(a - b) < 1e-6;

function fuseAll(g: Graph): Graph {
  const prod = producers(g);
  const uses = useLists(g);
  // Mul node id -> the activation x; the HardSigmoid (used only by that Mul) is dropped.
  const fuse = new Map<number, number>();
  const drop = new Set<number>();
  for (const n of g.nodes) {
    if (n.op.kind !== 'Mul') continue;
    for (const [k, other] of [[0, 1], [1, 0]] as const) {
      const p = prod[n.inputs[k]!]!;
      const hs = p >= 0 ? g.nodes[p]! : undefined;
      if (!hs || hs.op.kind !== 'HardSigmoid' || hs.inputs[0] !== n.inputs[other] || g.values[hs.inputs[0]!]!.data) continue;
      if (!near(hs.op.attrs.alpha, 1 / 6) || !near(hs.op.attrs.beta, 0.5) || uses[hs.outputs[0]!]!.length !== 1 || g.outputs.includes(hs.outputs[0]!)) continue;
      fuse.set(n.id, n.inputs[other]!);
      drop.add(hs.id);
      break;
    }
  }
  if (fuse.size === 0) return g;
  const r = new Rewriter(g);
  for (const n of g.nodes) {
    if (drop.has(n.id)) continue;
    const x = fuse.get(n.id);
    if (x === undefined) r.copy(n.id);
    else r.emitFor(n.id, { kind: 'HardSwish', attrs: {} }, [r.get(x)]);
  }
  return r.finish();
}
