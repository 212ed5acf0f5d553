// Verifier: structural and type invariants of a graph; runs between passes in tests and with --verify-each.
import { fail } from '../diagnostics.js';
import { inferOp, outputCount, opDef, type Graph } from './graph.js';
import { checkLowered } from './lowered.js';
import { formatType, numel, sameShape } from './tensor.js';

/** The pass whose output must be in the lowered dialect (and every later graph a backend receives). */
export const LOWERING_PASS = 'lower-to-shift';

/**
 * Throws SAC030 describing the first broken invariant. `after` names the pass that produced the graph; after
 * LOWERING_PASS the graph must also be in the lowered dialect (SAC051 naming the node, src/ir/lowered.ts).
 */
export function verifyGraph(g: Graph, after = 'frontend'): void {
  const bad = (detail: string, where?: string): never => fail('SAC030', `after ${after}: ${detail}`, where);
  const defined = new Uint8Array(g.values.length);
  const names = new Set<string>();
  g.values.forEach((v, i) => {
    if (v.id !== i) bad(`value ${v.name} has id ${v.id} at arena index ${i}`);
    if (names.has(v.name)) bad(`duplicate value name ${v.name}`);
    names.add(v.name);
    if (v.type.shape.some((d) => !Number.isInteger(d) || d < 0)) bad(`value ${v.name} has a non-static shape [${v.type.shape}]`);
    const ch = v.quant?.channels;
    if (ch && (ch.length !== v.type.shape[1] || ch.some((d) => !Number.isInteger(d) || d < 0 || d > 31))) bad(`value ${v.name} has ${ch.length} channel fracs for shape [${v.type.shape}] (need one integer in [0, 31] per axis-1 channel)`);
    if (v.data) {
      if (v.data.dtype !== v.type.dtype || !sameShape(v.data.shape, v.type.shape)) bad(`constant ${v.name} data ${formatType(v.data)} does not match its type ${formatType(v.type)}`);
      if (v.data.data.length !== numel(v.type.shape)) bad(`constant ${v.name} holds ${v.data.data.length} elements, shape needs ${numel(v.type.shape)}`);
      defined[i] = 1;
    }
  });
  for (const id of g.inputs) {
    if (!g.values[id]) bad(`graph input ${id} does not exist`);
    defined[id] = 1;
  }
  g.nodes.forEach((n, k) => {
    const where = `node '${n.name}' (${n.op.kind})`;
    if (n.id !== k) bad(`node ${n.name} has id ${n.id} at arena index ${k}`, where);
    const [min, max] = opDef(n.op.kind).arity;
    if (n.inputs.length < min || n.inputs.length > max) bad(`${n.inputs.length} inputs, op takes ${min}..${max}`, where);
    for (const i of n.inputs) {
      if (i < 0) continue;
      if (!g.values[i]) bad(`input id ${i} does not exist`, where);
      if (!defined[i]) bad(`input ${g.values[i]!.name} is used before it is defined (not topologically ordered)`, where);
    }
    if (n.outputs.length !== outputCount(n.op)) bad(`${n.outputs.length} outputs, op produces ${outputCount(n.op)}`, where);
    const inferred = inferOp(n.op, n.inputs.map((i) => (i < 0 ? undefined : g.values[i]!.type)), where);
    n.outputs.forEach((o, j) => {
      const v = g.values[o];
      if (!v) return bad(`output id ${o} does not exist`, where);
      if (defined[o]) bad(`value ${v.name} is defined twice`, where);
      defined[o] = 1;
      const t = inferred[j]!;
      if (t.dtype !== v.type.dtype || !sameShape(t.shape, v.type.shape)) bad(`output ${v.name} is ${formatType(v.type)} but the op infers ${formatType(t)}`, where);
    });
  });
  for (const o of g.outputs) if (!defined[o]) bad(`graph output ${g.values[o]?.name ?? o} is never defined`);
  if (after === LOWERING_PASS) checkLowered(g);
}
