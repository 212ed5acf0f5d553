// drop-output-softmax: removes a Softmax/LogSoftmax that only shape ops separate from a graph output (argmax is kept).
import { producers, useLists, type Graph, type Node } from '../ir/graph.js';
import type { Pass, PassContext } from './context.js';
import { Rewriter } from './rewriter.js';

/** Ops that only move or rename elements: a monotonic op before them still decides the same argmax. */
const SHAPE_ONLY = new Set(['Reshape', 'Identity']);

export const dropOutputSoftmax: Pass = { name: 'drop-output-softmax', run: dropAll };

/** The Softmax/LogSoftmax behind graph output `out`, through single-use shape-only ops, if there is one. */
function softmaxBehind(g: Graph, out: number, prod: Int32Array, uses: number[][]): Node | undefined {
  // Every value from the softmax to the output feeds only the next op of the chain (the output itself: nothing).
  if (uses[out]!.length !== 0 || g.outputs.filter((o) => o === out).length !== 1) return undefined;
  let id = out;
  for (;;) {
    const p = prod[id]!;
    if (p < 0) return undefined;
    const n = g.nodes[p]!;
    if (n.op.kind === 'Softmax' || n.op.kind === 'LogSoftmax') return n;
    if (!SHAPE_ONLY.has(n.op.kind)) return undefined;
    id = n.inputs[0]!;
    // A value that is also used elsewhere (or is an output itself) keeps its meaning.
    if (uses[id]!.length !== 1 || g.outputs.includes(id)) return undefined;
  }
}

function dropAll(g: Graph, ctx: PassContext): Graph {
  const prod = producers(g);
  const uses = useLists(g);
  const drops = new Map<number, Node>();
  for (const o of g.outputs) {
    const sm = softmaxBehind(g, o, prod, uses);
    if (sm && !g.values[sm.inputs[0]!]!.data) drops.set(sm.id, sm);
  }
  if (drops.size === 0) return g;
  // A softmax whose output is the graph output hands that name to the logits: the producer's output is renamed
  // when the logits have no other use, else an Identity carries the name (canonicalize would drop it, so this pass
  // runs after the last canonicalize).
  const rename = new Map<number, string>();
  const viaIdentity = new Set<number>();
  for (const sm of drops.values()) {
    const o = sm.outputs[0]!;
    if (!g.outputs.includes(o)) continue;
    const x = sm.inputs[0]!;
    if (prod[x]! >= 0 && uses[x]!.length === 1 && !g.outputs.includes(x) && g.nodes[prod[x]!]!.outputs.length === 1) rename.set(prod[x]!, g.values[o]!.name);
    else viaIdentity.add(sm.id);
  }
  const r = new Rewriter(g);
  for (const n of g.nodes) {
    const sm = drops.get(n.id);
    if (!sm) {
      const name = rename.get(n.id);
      if (name === undefined) r.copy(n.id);
      else r.emitFor(n.id, n.op, n.inputs.map((i) => r.get(i)), undefined, undefined, [name]);
      continue;
    }
    const x = r.get(sm.inputs[0]!);
    if (viaIdentity.has(sm.id)) r.emitFor(sm.id, { kind: 'Identity', attrs: {} }, [x]);
    else r.alias(sm.outputs[0]!, x);
    const axis = sm.op.kind === 'Softmax' || sm.op.kind === 'LogSoftmax' ? sm.op.attrs.axis : 0;
    const out = g.values[g.outputs.find((o) => softmaxBehind(g, o, prod, uses) === sm)!]!.name;
    ctx.changes.push(`dropped ${sm.op.kind} '${sm.name}' before output '${out}' (monotonic along axis ${axis}: ` +
      `the argmax is unchanged); the output '${out}' now holds the logits, apply ${sm.op.kind.toLowerCase()} in the application if probabilities are needed`);
  }
  return r.finish();
}
