// canonicalize: drop Identity/Dropout, fold constant nodes, remove dead nodes, and rewrite Sum as a chain of Adds.
import { runOp, type Graph } from '../ir/graph.js';
import type { Pass } from './context.js';
import { liveNodes, Rewriter } from './rewriter.js';

export const canonicalize: Pass = { name: 'canonicalize', run: canonicalizeGraph };

function canonicalizeGraph(g: Graph): Graph {
  const live = liveNodes(g);
  const r = new Rewriter(g);
  g.nodes.forEach((n, k) => {
    if (!live[k]) return;
    if (n.op.kind === 'Identity') {
      r.alias(n.outputs[0]!, r.get(n.inputs[0]!));
      return;
    }
    const present = n.inputs.filter((i) => i >= 0);
    if (present.length > 0 && present.every((i) => g.values[i]!.data)) {
      const outs = runOp(n.op, n.inputs.map((i) => (i < 0 ? undefined : g.values[i]!.data)));
      n.outputs.forEach((o, j) => r.alias(o, r.constant(g.values[o]!.name, outs[j]!)));
      return;
    }
    if (n.op.kind === 'Sum') {
      // Later passes (and the lowering) only need to know binary Add.
      let acc = r.get(n.inputs[0]!);
      n.inputs.slice(1).forEach((i, j) => {
        const last = j === n.inputs.length - 2;
        acc = last
          ? r.emitFor(k, { kind: 'Add', attrs: {} }, [acc, r.get(i)])[0]!
          : r.emit(`${n.name}/add${j}`, { kind: 'Add', attrs: {} }, [acc, r.get(i)], `${g.values[n.outputs[0]!]!.name}_partial${j}`);
      });
      r.alias(n.outputs[0]!, acc);
      return;
    }
    r.copy(k);
  });
  return r.finish();
}
