// calibrate-activations: runs the float model on calibration inputs and gives every activation a power-of-two scale.
import { atNode, fail, quoted } from '../diagnostics.js';
import { producers, type Graph, type Quant, type Value } from '../ir/graph.js';
import { runGraph } from '../ir/interp-float.js';
import type { Tensor } from '../ir/tensor.js';
import { ChannelSampler, channelRoots, coneQuant, rootQuant } from './channel-fracs.js';
import { ActivationStore } from './activation-store.js';
import { CALIBRATION_ACTIVATIONS } from './analyses.js';
import type { Pass, PassContext } from './context.js';

const SAMPLE_CAP = 1 << 15;
/** Per-channel samples: enough for the clipping choice, bounded for wide layers. */
const CHANNEL_SAMPLES = 1 << 18;
const MAX_CLIP_STEPS = 2;

/** Mean squared error of quantising `xs` to `bits`-bit integers with `frac` fractional bits. */
export function quantMse(xs: Float32Array, n: number, frac: number, bits: number): number {
  return quantSse(xs, n, frac, bits) / Math.max(1, n);
}

/**
 * The summed squared error, in its own function: code after a loop that V8 optimised mid-run (on-stack
 * replacement) has no type feedback and deoptimises on exit, and this runs per channel and candidate frac
 * (on lenet, ~600 deoptimisations and re-optimisations when the division followed the loop here).
 */
function quantSse(xs: Float32Array, n: number, frac: number, bits: number): number {
  const scale = 2 ** frac;
  const inv = 2 ** -frac;
  const hi = 2 ** (bits - 1) - 1;
  const lo = -hi - 1;
  let err = 0;
  for (let i = 0; i < n; i++) {
    let q = Math.floor(xs[i]! * scale + 0.5);
    q = q > hi ? hi : q < lo ? lo : q;
    const d = q * inv - xs[i]!;
    err += d * d;
  }
  return err;
}

/**
 * Chooses the fractional bits minimising quantisation MSE: starting from the largest frac with no
 * clipping, it also tries up to two finer scales that clip rare outliers (max-only calibration wastes
 * range). Further steps win on MSE but clip values later layers depend on: on the examples, allowing
 * 4 steps cost 3.5 points of top-1 agreement on the fire/concat model, allowing 2 cost none.
 */
export function chooseFrac(xs: Float32Array, n: number, bits: number): number {
  const maxAbs = maxAbsOf(xs, n);
  if (maxAbs === 0) return bits - 1;
  // Non-finite samples would make the search below start at -Infinity and never end.
  if (!Number.isFinite(maxAbs)) fail('SAC017', `an activation sample is ${maxAbs}; it has no fixed-point scale`);
  const noClip = Math.floor(Math.log2((2 ** (bits - 1) - 1) / maxAbs));
  let best = noClip;
  let bestErr = quantMse(xs, n, noClip, bits);
  for (let f = noClip + 1; f <= noClip + MAX_CLIP_STEPS; f++) {
    const e = quantMse(xs, n, f, bits);
    if (e < bestErr) { best = f; bestErr = e; }
  }
  return best;
}

/** Largest |x| of the first n entries (its own function: see quantSse). */
function maxAbsOf(xs: Float32Array, n: number): number {
  let m = 0;
  for (let i = 0; i < n; i++) m = Math.max(m, Math.abs(xs[i]!));
  return m;
}

/** Every activation must be finite: +-Inf or NaN (an Inf weight, weights near 3e38 overflowing) has no scale. */
function checkFinite(g: Graph, producer: Int32Array, id: number, t: Tensor): void {
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    if (Number.isFinite(d[i]!)) continue;
    const n = g.nodes[producer[id]!];
    fail('SAC017', `activation ${quoted(g.values[id]!.name)} holds ${d[i]} on the calibration data (float32 overflow or a non-finite weight upstream)`, n ? atNode(n.name, n.op.kind) : undefined);
  }
}

/** Keeps an evenly strided sample of every observed tensor, bounded per value. */
class Sampler {
  readonly buf: Float32Array = new Float32Array(SAMPLE_CAP);
  n = 0;
  constructor(private readonly stride: number) {}
  add(t: Tensor): void {
    const d = t.data;
    for (let i = 0; i < d.length && this.n < SAMPLE_CAP; i += this.stride) this.buf[this.n++] = d[i]!;
  }
}

/** Provides the float activations of its run (lower-to-shift reuses them rather than running the model again). */
export const calibrateActivations: Pass = { name: 'calibrate-activations', run: calibrate, provides: [CALIBRATION_ACTIVATIONS] };

function calibrate(g: Graph, ctx: PassContext): Graph {
  const calib = ctx.user.calibration ?? fail('SAC042', 'calibrate-activations needs calibration data');
  const bits = ctx.user.actBits;
  const samples = calib[0]?.shape[0] ?? 1;
  const samplers = new Map<number, Sampler>();
  const strideFor = (v: Value) => Math.max(1, Math.floor((v.type.shape.reduce((a, b) => a * b, 1) * samples) / SAMPLE_CAP));
  const watch = (id: number, t: Tensor) => {
    const v = g.values[id]!;
    if (v.type.dtype !== 'float32') return;
    let s = samplers.get(id);
    if (!s) { s = new Sampler(strideFor(v)); samplers.set(id, s); }
    s.add(t);
  };
  // Tensors whose consumers absorb per-channel fracs are also sampled per channel.
  const roots = ctx.user.channelFracs ? channelRoots(g) : [];
  const perChannel = new Map<number, ChannelSampler>();
  for (const id of roots.flatMap((r) => [r.root, ...r.cone])) {
    const shape = g.values[id]!.type.shape;
    const C = shape[1]!;
    const cap = Math.max(256, Math.min(4096, Math.floor(CHANNEL_SAMPLES / C)));
    const perSample = shape.slice(2).reduce((a, b) => a * b, 1) * shape[0]!;
    perChannel.set(id, new ChannelSampler(C, Math.max(1, Math.floor((perSample * samples) / cap)), cap));
  }
  const producer = producers(g);
  g.inputs.forEach((id, k) => watch(id, calib[k] ?? fail('SAC022', `model has ${g.inputs.length} inputs, calibration data for ${calib.length}`)));
  const store = new ActivationStore();
  runGraph(g, calib, (id, t) => { if (t.dtype === 'float32') checkFinite(g, producer, id, t); watch(id, t); perChannel.get(id)?.add(t); store.record(id, t); });
  const quant: (Quant | undefined)[] = g.values.map((v) => {
    const s = samplers.get(v.id);
    return !s || v.data ? undefined : { frac: chooseFrac(s.buf, s.n, bits) };
  });
  const best = (id: number) => (c: number) => chooseFrac(perChannel.get(id)!.bufs[c]!, perChannel.get(id)!.n[c]!, bits);
  for (const { root, cone } of roots) {
    const q = rootQuant(quant[root]!.frac, best(root), g.values[root]!.type.shape[1]!);
    if (!q.channels) continue;
    quant[root] = q;
    for (const id of cone) {
      const n = g.nodes[producer[id]!]!;
      quant[id] = coneQuant(g, n, quant[n.inputs[0]!]!, best(id));
    }
  }
  const values = g.values.map((v, id): Value => (quant[id] ? { ...v, quant: quant[id] } : v));
  // Same nodes and value ids, only annotated: the recorded activations hold for the returned graph.
  ctx.analyses.provide(CALIBRATION_ACTIVATIONS, store);
  return { ...g, values };
}
