// Per-channel activation fracs: which tensors may carry them (every consumer absorbs them exactly) and their values.
import { producers, useLists, type Graph, type Node, type Quant } from '../ir/graph.js';
import { opTraits } from '../ir/registry.js';
import type { Tensor } from '../ir/tensor.js';

/** Largest number of extra fractional bits one channel gets over its tensor's frac. */
export const MAX_CHANNEL_OFFSET = 8;

/**
 * Activation nodes lower-to-shift fuses into the op producing their input (by producer node id), and the fused
 * nodes' ids: a fusable activation whose input has no other use, after an op that fuses activations.
 */
export function fusedActivations(g: Graph): { fused: Map<number, Node>; absorbed: Set<number> } {
  const uses = useLists(g);
  const producer = producers(g);
  const fused = new Map<number, Node>();
  const absorbed = new Set<number>();
  for (const n of g.nodes) {
    if (!opTraits(n.op.kind).fusableActivation) continue;
    const src = g.nodes[producer[n.inputs[0]!]!];
    if (!src || !opTraits(src.op.kind).fusesActivation) continue;
    if (uses[n.inputs[0]!]!.length !== 1 || g.outputs.includes(n.inputs[0]!)) continue;
    fused.set(src.id, n);
    absorbed.add(n.id);
  }
  return { fused, absorbed };
}

/** A flatten-like reshape ([N, C, ...] to [N, C * rest]) keeps channel c in a contiguous run of columns. */
function isFlatten(g: Graph, n: Node): boolean {
  const i = g.values[n.inputs[0]!]!.type.shape;
  const o = g.values[n.outputs[0]!]!.type.shape;
  return n.op.kind === 'Reshape' && i.length >= 2 && o.length === 2 && o[0] === i[0];
}

/** A tensor that gets per-channel fracs: its producing weight layer and the per-channel ops it flows through. */
export interface ChannelRoot {
  /** The weight layer's output (after its fused activation). */
  root: number;
  /** Values downstream through per-channel ops and flattens, in graph order. */
  cone: number[];
}

/**
 * Weight-layer outputs whose every use (through per-channel pools, ReLUs and flattens) is the data input of
 * another weight layer: there a channel's extra fractional bits fold into the weights of its columns, so the
 * integer network is exact. Graph outputs, Add, Concat and standalone Clip keep one frac per tensor.
 */
export function channelRoots(g: Graph): ChannelRoot[] {
  const uses = useLists(g);
  const { fused } = fusedActivations(g);
  const isConst = (id: number | undefined) => id !== undefined && id >= 0 && g.values[id]!.data !== undefined;
  const absorbs = (v: number, cone: number[]): boolean => {
    if (g.outputs.includes(v)) return false;
    for (const u of uses[v]!) {
      const c = g.nodes[u]!;
      if (opTraits(c.op.kind).weightLayer && c.inputs[0] === v && isConst(c.inputs[1])) continue;
      if (!(opTraits(c.op.kind).perChannelFracs || isFlatten(g, c)) || c.inputs[0] !== v) return false;
      cone.push(c.outputs[0]!);
      if (!absorbs(c.outputs[0]!, cone)) return false;
    }
    return true;
  };
  const roots: ChannelRoot[] = [];
  for (const n of g.nodes) {
    if (!opTraits(n.op.kind).weightLayer || !isConst(n.inputs[1])) continue;
    const act = fused.get(n.id);
    // A Clip's lower bound stays one integer for every channel only if it is 0 or absent.
    if (act?.op.kind === 'Clip' && act.op.attrs.min !== 0 && Number.isFinite(act.op.attrs.min)) continue;
    const root = (act ?? n).outputs[0]!;
    const cone: number[] = [];
    if (absorbs(root, cone)) roots.push({ root, cone: cone.sort((a, b) => a - b) });
  }
  return roots;
}

/** Strided per-channel samples of one value over the calibration run (bounded per channel). */
export class ChannelSampler {
  readonly bufs: Float32Array[];
  readonly n: Int32Array;
  constructor(readonly channels: number, private readonly stride: number, cap: number) {
    this.bufs = Array.from({ length: channels }, () => new Float32Array(cap));
    this.n = new Int32Array(channels);
  }

  add(t: Tensor): void {
    const C = this.channels;
    const batch = t.shape[0]!;
    const plane = t.data.length / (batch * C);
    for (let b = 0; b < batch; b++) {
      for (let c = 0; c < C; c++) {
        const buf = this.bufs[c]!;
        const base = (b * C + c) * plane;
        let k = this.n[c]!;
        for (let i = 0; i < plane && k < buf.length; i += this.stride) buf[k++] = t.data[base + i]!;
        this.n[c] = k;
      }
    }
  }
}

/**
 * Quant of a root: channel c gets `best(c) - frac` extra bits (clamped to [0, MAX_CHANNEL_OFFSET]), where
 * `best` is the per-channel choice of the same error-minimising rule as the tensor's frac.
 */
export function rootQuant(frac: number, best: (c: number) => number, channels: number): Quant {
  const d = Array.from({ length: channels }, (_, c) => Math.max(0, Math.min(MAX_CHANNEL_OFFSET, best(c) - frac)));
  return d.some((x) => x > 0) ? { frac, channels: d } : { frac };
}

/**
 * Quant of a value in a root's cone, given its input's: per-channel ops keep each channel's offset (one
 * integer shift serves all channels), so a pool's frac is the finest one no channel overflows at; a
 * flatten repeats each channel's offset over its columns.
 */
export function coneQuant(g: Graph, n: Node, input: Quant, best: (c: number) => number): Quant {
  const ch = input.channels!;
  if (isFlatten(g, n)) {
    const cols = g.values[n.outputs[0]!]!.type.shape[1]!;
    const run = cols / ch.length;
    return { frac: input.frac, channels: Array.from({ length: cols }, (_, j) => ch[Math.floor(j / run)]!) };
  }
  if (n.op.kind === 'AveragePool' || n.op.kind === 'GlobalAveragePool') {
    let frac = Infinity;
    ch.forEach((d, c) => { frac = Math.min(frac, best(c) - d); });
    return { frac, channels: ch };
  }
  return { frac: input.frac, channels: ch };
}
