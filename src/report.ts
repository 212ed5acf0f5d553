// Conversion report: per shift layer terms, exponents, sparsity, SQNR vs float, op counts, storage; totals.
import { channelFrac, type Graph, type Quant } from './ir/graph.js';
import { runGraph } from './ir/interp-float.js';
import { shiftConst, shiftOperand } from './ir/lowered.js';
import { shiftTermCounts } from './ir/ops/shift-common.js';
import { quantizeInput } from './ir/interp-int.js';
import type { Tensor } from './ir/tensor.js';
import type { Tap } from './passes/activation-store.js';
import { inspect } from './inspect.js';
import { adderLayers, type AdderLayerReport } from './report-adder.js';

export interface LayerReport {
  name: string;
  op: string;
  weights: number;
  termsPerWeight: number;
  exponentRange: [number, number];
  sparsity: number;
  sqnrDb: number | null;
  shifts: number;
  adds: number;
  multiplies: number;
  weightBits: number;
}

export interface CompileReport {
  options: Record<string, unknown>;
  layers: LayerReport[];
  /** Adder layers (AdderConv), present only when the network has some. */
  adderLayers?: AdderLayerReport[];
  totals: {
    floatMacs: number;
    floatWeightBytes: number;
    shifts: number;
    adds: number;
    multiplies: number;
    weightBits: number;
    weightBytes: number;
    int8WeightBytes: number;
  };
  inputFrac: number[];
  outputFrac: number[];
  notes: string[];
  seconds: number;
}

/** Calibration samples the per-layer SQNR is measured on (enough for a stable dB figure, cheap to run). */
export const REPORT_SAMPLES = 32;

/** Signal-to-quantisation-noise ratio in dB of dequantised `q` against float `f`, both given per sample. */
export function sqnr(f: readonly Tensor[], q: readonly Tensor[], quant: Quant): number {
  let sig = 0;
  let noise = 0;
  f.forEach((ft, k) => {
    const fd = ft.data;
    const qd = q[k]!.data;
    // Per-channel fracs (axis 1) dequantise each channel with its own step.
    const C = quant.channels ? ft.shape[1]! : 1;
    const per = fd.length / (ft.shape[0]! * C);
    const steps = Array.from({ length: C }, (_, c) => 2 ** -channelFrac(quant, c));
    for (let i = 0; i < fd.length; i++) {
      sig += fd[i]! * fd[i]!;
      const d = qd[i]! * steps[Math.floor(i / per) % C]! - fd[i]!;
      noise += d * d;
    }
  });
  return noise === 0 ? Infinity : 10 * Math.log10(sig / noise);
}

/** Collects every named value's per-sample outputs over the given inputs. */
function observeAll(g: Graph, inputs: readonly Tensor[], names: ReadonlySet<string>): Map<string, Tensor[]> {
  const seen = new Map<string, Tensor[]>();
  runGraph(g, inputs, (id, t) => {
    const name = g.values[id]!.name;
    if (!names.has(name)) return;
    const list = seen.get(name) ?? [];
    list.push(t);
    seen.set(name, list);
  });
  return seen;
}

const numel = (ts: readonly Tensor[]): number => ts.reduce((n, t) => n + t.data.length, 0);

/**
 * `taps` are the shift-layer activations lowering already computed on the first REPORT_SAMPLES samples
 * (compile() passes them); without them, or if one is missing, both graphs are run here.
 */
export function buildReport(floatG: Graph, shiftG: Graph, calib: readonly Tensor[], options: Record<string, unknown>, notes: string[], seconds: number, taps?: ReadonlyMap<string, Tap>): CompileReport {
  const f = inspect(floatG);
  // Multiplications of the lowered graph from its ops' own cost model (a MAC is a multiply; shift layers declare 0).
  const mults = new Map(inspect(shiftG).layers.map((l) => [l.name, l.macs]));
  const inputFrac = shiftG.inputs.map((id) => shiftG.values[id]!.quant?.frac ?? 0);
  const bits = (options.actBits as number | undefined) ?? 8;
  const n = Math.min(REPORT_SAMPLES, calib[0]!.shape[0]!);
  const sample = calib.map((t) => ({ ...t, shape: [n, ...t.shape.slice(1)], data: t.data.subarray(0, n * (t.data.length / t.shape[0]!)) }));
  const watched = new Set(shiftG.nodes.filter((x) => x.op.kind === 'ShiftConv' || x.op.kind === 'ShiftGemm' || x.op.kind === 'AdderConv').map((x) => shiftG.values[x.outputs[0]!]!.name));
  const perSample = n / floatG.values[floatG.inputs[0]!]!.type.shape[0]!;
  const tapped = taps && [...watched].every((w) => taps.get(w)?.float?.length === perSample && taps.get(w)?.int?.length === perSample);
  const floatActs = tapped ? new Map([...watched].map((w) => [w, taps.get(w)!.float!])) : observeAll(floatG, sample, watched);
  const intActs = tapped ? new Map([...watched].map((w) => [w, taps.get(w)!.int!])) : observeAll(shiftG, sample.map((t, k) => quantizeInput(t, inputFrac[k]!, bits as 8 | 16)), watched);
  const layers: LayerReport[] = [];
  for (const n of shiftG.nodes) {
    if (n.op.kind !== 'ShiftConv' && n.op.kind !== 'ShiftGemm') continue;
    const codes = shiftConst(shiftG, n, 'codes')!;
    const rshift = shiftConst(shiftG, n, 'rshift')!;
    const out = shiftG.values[n.outputs[0]!]!;
    const fracIn = shiftG.values[shiftOperand(n, 'x')]!.quant!.frac;
    const fracOut = out.quant!.frac;
    const K = n.op.attrs.terms;
    const span = 2 ** n.op.attrs.shiftBits - 1;
    const M = codes.shape[0]!;
    const weights = codes.data.length / K;
    const perRow = weights / M;
    let terms = 0;
    let zero = 0;
    let lo = Infinity;
    let hi = -Infinity;
    const cd = codes.data;
    for (let m = 0; m < M; m++) {
      // Term exponent t = fracIn - F_c + sh with F_c = r_c + fracOut (docs/numerics.md): per row, only the
      // smallest and largest |code| matter.
      const base = fracIn - (rshift.data[m]! + channelFrac(out.quant!, m));
      let cMin = Infinity;
      let cMax = -Infinity;
      for (let w = m * perRow; w < (m + 1) * perRow; w++) {
        let any = false;
        for (let k = w * K; k < (w + 1) * K; k++) {
          const c = cd[k]!;
          if (!c) continue;
          any = true;
          terms++;
          const a = c < 0 ? -c : c;
          if (a < cMin) cMin = a;
          if (a > cMax) cMax = a;
        }
        if (!any) zero++;
      }
      if (cMin !== Infinity) { lo = Math.min(lo, base + cMin - 1); hi = Math.max(hi, base + cMax - 1); }
    }
    const counts = shiftTermCounts(codes, out.type.shape);
    const fa = floatActs.get(out.name);
    const qa = intActs.get(out.name);
    layers.push({
      name: n.name, op: n.op.kind, weights,
      termsPerWeight: terms / weights,
      exponentRange: [lo === Infinity ? 0 : lo, hi === -Infinity ? 0 : hi],
      sparsity: zero / weights,
      sqnrDb: fa && qa && numel(fa) === numel(qa) ? round2(sqnr(fa, qa, out.quant!)) : null,
      shifts: counts.shifts, adds: counts.adds, multiplies: mults.get(n.name) ?? 0,
      // Each term is a sign bit plus a B-bit shift; each channel adds an int32 bias and an 8-bit shift.
      weightBits: terms * (1 + n.op.attrs.shiftBits) + M * (32 + 8),
    });
  }
  const sum = (k: 'shifts' | 'adds' | 'weightBits') => layers.reduce((s, l) => s + l[k], 0);
  const adder = adderLayers(shiftG, (v) => {
    const fa = floatActs.get(v);
    const qa = intActs.get(v);
    const q = shiftG.nodes.length && [...shiftG.values].find((x) => x.name === v)?.quant;
    return fa && qa && q && numel(fa) === numel(qa) ? round2(sqnr(fa, qa, q)) : null;
  });
  const adderSum = (k: 'weightBits' | 'weights') => adder.reduce((s, l) => s + l[k], 0);
  return {
    options, layers, ...(adder.length ? { adderLayers: adder } : {}), notes, seconds,
    inputFrac,
    outputFrac: shiftG.outputs.map((id) => shiftG.values[id]!.quant?.frac ?? 0),
    totals: {
      floatMacs: f.totals.macs,
      floatWeightBytes: f.totals.weightBytes,
      shifts: sum('shifts'), adds: sum('adds'), multiplies: [...mults.values()].reduce((a, b) => a + b, 0),
      // Adder layers' weights (and their per-channel parameters) count with the shift layers' (none in most networks).
      weightBits: sum('weightBits') + adderSum('weightBits'),
      weightBytes: Math.ceil((sum('weightBits') + adderSum('weightBits')) / 8),
      int8WeightBytes: layers.reduce((s, l) => s + l.weights, 0) + adderSum('weights'),
    },
  };
}

function round2(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 100) / 100 : x;
}
