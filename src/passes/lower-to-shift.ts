// lower-to-shift: rewrites a calibrated float graph into the integer shift-add graph, layer by layer on calibration data.
import { fail } from '../diagnostics.js';
import { runSamples, unstack } from '../ir/batch.js';
import type { Graph, Node } from '../ir/graph.js';
import { outOfMemoryAt } from '../ir/interp-float.js';
import { quantizeInput } from '../ir/interp-int.js';
import { opTraits } from '../ir/registry.js';
import { type Tensor } from '../ir/tensor.js';
import { LOWERING_PASS } from '../ir/verify.js';
import { ReportTaps, type ActivationStore } from './activation-store.js';
import { allocateTerms, type TermCurve } from './allocate-terms.js';
import { CALIBRATION_ACTIVATIONS, LOWERING } from './analyses.js';
import { fusedActivations } from './channel-fracs.js';
import type { Pass, PassContext, PassSettings } from './context.js';
import { unsupported, type LowerContext, type Samples } from './lower-context.js';
import { loweringRule } from './lower-rules.js';
import { Rewriter } from './rewriter.js';

/**
 * Requires calibration's float activations (reused, not recomputed, when calibrate-activations ran just before)
 * and provides what the lowered graph was derived from, with the report's activation taps.
 */
// Named after the verifier's LOWERING_PASS: after it the graph must be in the lowered dialect.
export const lowerToShift: Pass = { name: LOWERING_PASS, run: lowerGraph, requires: [CALIBRATION_ACTIVATIONS], provides: [LOWERING] };

/**
 * With --avg-terms the budget is spread over layers (allocate-terms): a probe lowering measures every layer's
 * error-vs-terms curve on the sequentially quantised network, then the final lowering meets the allocated
 * per-layer budgets. Curves need the quantised inputs of earlier layers, hence two lowerings, not one pass.
 */
function lowerGraph(g: Graph, ctx: PassContext): Graph {
  const store = ctx.analyses.get(CALIBRATION_ACTIVATIONS, g);
  const { user, pass } = ctx;
  const taps = new ReportTaps(pass.tapSamples ?? 0);
  let out: Graph;
  if (user.avgTerms === undefined || !user.recover || pass.termBudgets || pass.termProbe) out = lowerOnce(g, ctx, pass, store, taps);
  else {
    // The probe keeps the float activations (the final lowering takes them) and taps nothing.
    const curves: TermCurve[] = [];
    lowerOnce(g, ctx, { ...pass, termProbe: (c) => curves.push(c) }, store, new ReportTaps(0));
    out = lowerOnce(g, ctx, { ...pass, termBudgets: allocateTerms(curves, user.avgTerms) }, store, taps);
  }
  ctx.analyses.provide(LOWERING, { floatGraph: g, taps: taps.taps });
  return out;
}

function lowerOnce(g: Graph, pc: PassContext, pass: PassSettings, store: ActivationStore | undefined, taps: ReportTaps): Graph {
  const calib = pc.user.calibration ?? fail('SAC042', 'lower-to-shift needs calibration data');
  const o = pc.user;
  for (const v of g.values) if (!v.data && v.type.dtype === 'float32' && !v.quant) fail('SAC030', `value '${v.name}' has no calibrated scale (run calibrate-activations first)`);
  const r = new Rewriter(g, (v) => ({ dtype: o.actBits === 16 ? 'int16' : 'int8', shape: v.type.shape }));
  const samples = calib[0]!.shape[0]! / g.values[g.inputs[0]!]!.type.shape[0]!;
  const fEnv = new Map<number, Samples>();
  const qEnv = new Map<number, Samples>();
  g.inputs.forEach((id, k) => {
    // Quantised as one tensor (elementwise), so both sides' samples are views of one buffer each.
    fEnv.set(id, unstack(calib[k]!, samples));
    qEnv.set(r.get(id), unstack(quantizeInput(calib[k]!, g.values[id]!.quant!.frac, o.actBits), samples));
  });
  // Fuse a ReLU/Clip into the op before it when that op's output has no other use.
  const { fused, absorbed } = fusedActivations(g);
  const constSamples = (t: Tensor): Samples => new Array<Tensor>(samples).fill(t);
  const ctx: LowerContext = {
    g, r, user: o, pass, ...(pc.progress ? { progress: pc.progress } : {}),
    floatActs: (id) => fEnv.get(id) ?? (g.values[id]!.data ? constSamples(g.values[id]!.data!) : fail('SAC030', `no float activation for ${g.values[id]!.name}`)),
    intActs: (id) => qEnv.get(id) ?? (r.b.value(id).data ? constSamples(r.b.value(id).data!) : fail('SAC030', `no integer activation for ${r.b.value(id).name}`)),
    fracOfNew: (id) => r.b.value(id).quant?.frac ?? fail('SAC030', `lowered value ${r.b.value(id).name} has no scale`),
    fracOfOld: (id) => g.values[id]!.quant?.frac ?? fail('SAC030', `value ${g.values[id]!.name} has no scale`),
    fusedAct: (n) => fused.get(n.id),
  };
  const lastUse = new Int32Array(g.values.length).fill(-1);
  g.nodes.forEach((n, k) => n.inputs.forEach((i) => { if (i >= 0) lastUse[i] = k; }));
  g.nodes.forEach((n, k) => {
    pc.progress?.('lower', k, g.nodes.length, n.name);
    // Float side: the reference activations every later layer is fitted against.
    // (Taken from calibration's run when compile() kept it: same graph, kernels and inputs, so the same bits.)
    const kept = n.outputs.map((id) => store?.take(id, samples, pass.termProbe !== undefined));
    if (kept.every((t) => t)) n.outputs.forEach((id, j) => fEnv.set(id, kept[j]!));
    else {
      const outs = runSamples(n.op, n.inputs.map((i) => (i < 0 ? undefined : g.values[i]!.data ?? ctx.floatActs(i))), samples);
      n.outputs.forEach((id, j) => fEnv.set(id, outs[j]!));
    }
    if (!absorbed.has(n.id)) {
      const before = r.b.nodeCount();
      outOfMemoryAt(n, () => lowerNode(ctx, n)); // recovery's statistics are the largest allocation: name the layer
      // Integer side: execute the freshly emitted nodes so the next layer sees quantised inputs.
      for (let m = before; m < r.b.nodeCount(); m++) {
        const nn = r.b.node(m);
        const qo = runSamples(nn.op, nn.inputs.map((i) => (i < 0 ? undefined : r.b.value(i).data ?? ctx.intActs(i))), samples);
        nn.outputs.forEach((id, j) => qEnv.set(id, qo[j]!));
        if (taps.samples > 0 && opTraits(nn.op.kind).shiftLayer) taps.tap(r.b.value(nn.outputs[0]!).name, 'int', qEnv.get(nn.outputs[0]!)!);
      }
    }
    for (const id of n.outputs) if (taps.taps.has(g.values[id]!.name)) taps.tap(g.values[id]!.name, 'float', fEnv.get(id)!);
    for (const i of n.inputs) if (i >= 0 && lastUse[i] === k && !g.outputs.includes(i)) fEnv.delete(i);
  });
  return r.finish();
}

/** The node's rule, after the same check `inspect --check` and compile's first step ran (lower-rules.ts). */
function lowerNode(ctx: LowerContext, n: Node): void {
  const rule = loweringRule(ctx, n);
  if (typeof rule === 'string') return unsupported(n, rule);
  const why = rule.check?.(ctx, n);
  if (why !== undefined) unsupported(n, why);
  rule.lower(ctx, n);
}
