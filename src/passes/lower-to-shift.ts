// lower-to-shift: rewrites a calibrated float graph into the integer shift-add graph, layer by layer on calibration data.
import { atNode, fail } from '../diagnostics.js';
import { runSamples, unstack } from '../ir/batch.js';
import type { Graph, Node, Quant } from '../ir/graph.js';
import { outOfMemoryAt } from '../ir/interp-float.js';
import { quantizeInput } from '../ir/interp-int.js';
import type { Op } from '../ir/registry.js';
import { type Tensor } from '../ir/tensor.js';
import { allocateTerms, type TermCurve } from './allocate-terms.js';
import { fusedActivations } from './channel-fracs.js';
import { lowerActivation, lowerStructural } from './lower-ops.js';
import { lowerWeightLayer } from './lower-weights.js';
import { withDefaults, type PassOptions } from './options.js';
import { Rewriter } from './rewriter.js';

/** Per-sample tensors of one value over the calibration set. */
export type Samples = Tensor[];

/** What a lowering rule needs: the rewriter, fracs, and calibration activations of both networks. */
export interface LowerContext {
  readonly g: Graph;
  readonly r: Rewriter;
  readonly o: Required<Pick<PassOptions, 'terms' | 'shiftBits' | 'actBits' | 'recover' | 'channelGain'>> & PassOptions;
  /** Float activations of old values (per sample). */
  floatActs(oldId: number): Samples;
  /** Integer activations of new values (per sample). */
  intActs(newId: number): Samples;
  /** Fractional bits of a new (lowered) value. */
  fracOfNew(newId: number): number;
  /** Calibrated fractional bits of an old value. */
  fracOfOld(oldId: number): number;
  /** The activation node fused into `n`, if any (its output is the real output of the lowered op). */
  fusedAct(n: Node): Node | undefined;
}

/** Lowered ops whose outputs the report compares with the float activation of the same name. */
const TAPPED = new Set(['ShiftConv', 'ShiftGemm']);

/** Integer range of a fused ReLU/Clip at `frac` fractional bits. */
export function activationRange(act: Node | undefined, frac: number, bits: number): [number, number] {
  const hi = 2 ** (bits - 1) - 1;
  if (!act) return [-hi - 1, hi];
  if (act.op.kind === 'Relu') return [0, hi];
  if (act.op.kind === 'Clip') {
    const q = (x: number) => (Number.isFinite(x) ? Math.floor(x * 2 ** frac + 0.5) : x > 0 ? hi : -hi - 1);
    const lo = Math.max(-hi - 1, Math.min(hi, q(act.op.attrs.min)));
    return [lo, Math.max(lo, Math.min(hi, q(act.op.attrs.max)))];
  }
  return [-hi - 1, hi];
}

/**
 * With --avg-terms the budget is spread over layers (allocate-terms): a probe lowering measures every layer's
 * error-vs-terms curve on the sequentially quantised network, then the final lowering meets the allocated
 * per-layer budgets. Curves need the quantised inputs of earlier layers, hence two lowerings, not one pass.
 */
export function lowerToShift(g: Graph, options: PassOptions = {}): Graph {
  const o = withDefaults(options);
  if (o.avgTerms === undefined || !o.recover || options.termBudgets || options.termProbe) return lowerOnce(g, options);
  const curves: TermCurve[] = [];
  lowerOnce(g, { ...options, termProbe: (c) => curves.push(c) });
  return lowerOnce(g, { ...options, termBudgets: allocateTerms(curves, o.avgTerms) });
}

function lowerOnce(g: Graph, options: PassOptions): Graph {
  const calib = options.calibration ?? fail('SAC042', 'lower-to-shift needs calibration data');
  const o = withDefaults(options);
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
    g, r, o,
    floatActs: (id) => fEnv.get(id) ?? (g.values[id]!.data ? constSamples(g.values[id]!.data!) : fail('SAC030', `no float activation for ${g.values[id]!.name}`)),
    intActs: (id) => qEnv.get(id) ?? (r.b.value(id).data ? constSamples(r.b.value(id).data!) : fail('SAC030', `no integer activation for ${r.b.value(id).name}`)),
    fracOfNew: (id) => r.b.value(id).quant?.frac ?? fail('SAC030', `lowered value ${r.b.value(id).name} has no scale`),
    fracOfOld: (id) => g.values[id]!.quant?.frac ?? fail('SAC030', `value ${g.values[id]!.name} has no scale`),
    fusedAct: (n) => fused.get(n.id),
  };
  const store = options.activations;
  const lastUse = new Int32Array(g.values.length).fill(-1);
  g.nodes.forEach((n, k) => n.inputs.forEach((i) => { if (i >= 0) lastUse[i] = k; }));
  g.nodes.forEach((n, k) => {
    options.onProgress?.('lower', k, g.nodes.length);
    // Float side: the reference activations every later layer is fitted against.
    // (Taken from calibration's run when compile() kept it: same graph, kernels and inputs, so the same bits.)
    const kept = n.outputs.map((id) => store?.take(g, id, samples, options.termProbe !== undefined));
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
        if (TAPPED.has(nn.op.kind)) store?.tap(r.b.value(nn.outputs[0]!).name, 'int', qEnv.get(nn.outputs[0]!)!);
      }
    }
    for (const id of n.outputs) if (store?.taps.has(g.values[id]!.name)) store.tap(g.values[id]!.name, 'float', fEnv.get(id)!);
    for (const i of n.inputs) if (i >= 0 && lastUse[i] === k && !g.outputs.includes(i)) fEnv.delete(i);
  });
  return r.finish();
}

function lowerNode(ctx: LowerContext, n: Node): void {
  switch (n.op.kind) {
    case 'Conv': case 'Gemm': case 'MatMul':
      return lowerWeightLayer(ctx, n);
    case 'Sigmoid': case 'Tanh': case 'HardSigmoid': case 'HardSwish': case 'LeakyRelu': case 'Elu': case 'Softplus':
      return lowerActivation(ctx, n);
    default:
      return lowerStructural(ctx, n);
  }
}

/** Helper for rules: emits `op` for old node `n` with lowered outputs carrying `quant`. */
export function emitLowered(ctx: LowerContext, n: Node, op: Op, inputs: readonly number[], quant: Quant, target?: Node): number {
  // A fused activation's output name is kept, so reports compare it with the float activation it replaces.
  const names = target ? [ctx.g.values[target.outputs[0]!]!.name] : undefined;
  const [out] = ctx.r.emitFor(n.id, op, inputs, undefined, [quant], names);
  if (target) ctx.r.alias(target.outputs[0]!, out!);
  return out!;
}

export function unsupported(n: Node, why: string): never {
  return fail('SAC052', why, atNode(n.name, n.op.kind));
}
