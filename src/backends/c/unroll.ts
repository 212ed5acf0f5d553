// Weights as code: one straight-line C function per output channel of a shift-add layer (no stream to decode).
import { SHIFT_OPERANDS } from '../../ir/lowered.js';
import type { Graph } from '../../ir/graph.js';
import { numel, type Tensor } from '../../ir/tensor.js';
import type { ShiftAttrs } from '../../ir/ops/shift-common.js';
import { codeStats, type WeightStats } from '../../codegen/weights.js';
import { constArray, lit } from './cfmt.js';
import { constData, optionalConstData, type KernelCtx, type WeightForm } from './kernel.js';

/**
 * A term as code costs ~7 bytes of flash (plus ~24 per channel) and ~3 instructions per use, in the list
 * form (list-kernel.ts) 1 byte and ~2.9 instructions per use, but the list walk also pays ~50-100
 * instructions per output (shift levels, the channel loop), which dominates a conv of few terms per channel
 * (a first conv, a depthwise conv). `auto` therefore makes code of the convolutions with at least
 * AUTO_OUTPUTS_PER_BYTE outputs per estimated code byte, best first, within the budget (default
 * AUTO_CODE_BYTES); every other conv takes the list form. Measured (Cortex-M0 -O2, --terms 1, QEMU): dwsep's
 * first and first depthwise convs as code take the model from 9.3M to 7.3M instructions for +1.4 KB.
 * Gemm terms are used once per inference, so they stay data.
 */
export const AUTO_CODE_BYTES = 16 * 1024;
export const AUTO_OUTPUTS_PER_BYTE = 1.5;
const CODE_BYTES_PER_TERM = 7;
const CODE_BYTES_PER_CHANNEL = 24;
const MIN_POSITIONS = 4;

/** Node ids of the shift-add layers whose weights become code: all of them (`code`), the `auto` choice, or none. */
export function codeLayers(g: Graph, form: WeightForm, budget: number): Set<number> {
  const cand: { id: number; positions: number; outputs: number; bytes: number }[] = [];
  for (const n of g.nodes) {
    if (n.op.kind !== 'ShiftConv' && !(form === 'code' && n.op.kind === 'ShiftGemm')) continue;
    const codes = g.values[n.inputs[SHIFT_OPERANDS.codes]!]?.data;
    const y = g.values[n.outputs[0]!]!.type.shape;
    if (!codes) continue;
    const M = codes.shape[0]!;
    let terms = 0;
    for (let i = 0; i < codes.data.length; i++) if (codes.data[i]) terms++;
    cand.push({ id: n.id, positions: numel(y) / (y[0]! * M), outputs: numel(y), bytes: terms * CODE_BYTES_PER_TERM + M * CODE_BYTES_PER_CHANNEL });
  }
  if (form !== 'auto') return new Set(form === 'code' ? cand.map((c) => c.id) : []);
  const out = new Set<number>();
  let used = 0;
  for (const c of [...cand].sort((a, b) => b.outputs / b.bytes - a.outputs / a.bytes || a.id - b.id)) {
    if (c.outputs < AUTO_OUTPUTS_PER_BYTE * c.bytes) break;
    if (c.positions < MIN_POSITIONS || used + c.bytes > budget) continue;
    out.add(c.id);
    used += c.bytes;
  }
  return out;
}

/** Taps of one shift level of a channel: added (`pos`) and subtracted (`neg`) input offsets. */
interface Level { sh: number; pos: number[]; neg: number[] }

/** The channel's terms grouped by shift, highest shift first (the Horner order of `channelText`). */
export function channelLevels(codes: Tensor, m: number, D: number, K: number, tapOff: readonly number[]): Level[] {
  const cd = codes.data;
  const by = new Map<number, Level>();
  for (let t = 0; t < D; t++) {
    for (let k = 0; k < K; k++) {
      const c = cd[(m * D + t) * K + k]!;
      if (c === 0) continue;
      const sh = Math.abs(c) - 1;
      let l = by.get(sh);
      if (!l) { l = { sh, pos: [], neg: [] }; by.set(sh, l); }
      (c > 0 ? l.pos : l.neg).push(tapOff[t]!);
    }
  }
  const levels = [...by.values()].sort((a, b) => b.sh - a.sh);
  for (const l of levels) { l.pos.sort((a, b) => a - b); l.neg.sort((a, b) => a - b); }
  return levels;
}

/**
 * `static uint32_t fn(const T *q)`: bias + sum of the channel's terms, read at constant offsets from the
 * window origin q. Levels are folded Horner-style, a = (a << (sh_i - sh_next)) + S_next, ending with
 * a << sh_last: shl distributes over modular addition, so this equals shifting every term (bit-exact),
 * with one shift per level and no sign branches. `add` (bias, rounding constant) is added last.
 * Taps are read through a running offset `o` (sorted, so steps are small immediates) pinned by SAC_PIN:
 * gcc would otherwise materialise every constant offset up front and spill them (Thumb-1 has 8 registers).
 * Per term that leaves ADDS o, #step; LDRSB t, [q, o]; ADDS/SUBS s, t.
 */
export function channelText(fn: string, xt: string, levels: readonly Level[], add: number, gain?: ChannelGain): string {
  const u32 = (v: number) => `${(v >>> 0).toString()}u`;
  const addU = u32(add);
  if (gain) {
    // The gain scales bias + terms; the rounding constant comes after it (docs/numerics.md).
    const body = gainedReturn(levels.length ? '(a << SH)' : '0u', add, gain, u32);
    if (!levels.length) return `static uint32_t ${fn}(const ${xt} *q) {\n  (void)q;\n${body}\n}`;
    return plainChannel(fn, xt, levels).replace(/\n {2}return [^\n]*\n\}$/, `\n${body.replace('SH', String(levels[levels.length - 1]!.sh))}\n}`);
  }
  if (!levels.length) return `static uint32_t ${fn}(const ${xt} *q) {\n  (void)q;\n  return ${addU};\n}`;
  return plainChannel(fn, xt, levels).replace(' + ADD;', ` + ${addU};`);
}

/** A channel's gain digits (codes sign * (1 + j)) and the constant added after it (the rounding constant). */
export interface ChannelGain { codes: ArrayLike<number>; post: number }

/** `v = (int32_t)(sum + bias)`, then the gain digits sign * (v >> j) and the post constant, summed mod 2^32. */
function gainedReturn(sum: string, bias: number, gain: ChannelGain, u32: (v: number) => string): string {
  const parts = Array.from(gain.codes).filter((c) => c !== 0).map((c) => ` ${c > 0 ? '+' : '-'} (uint32_t)(v >> ${Math.abs(c) - 1})`);
  return `  const int32_t v = (int32_t)(${sum} + ${u32(bias)});\n  return ${u32(gain.post)}${parts.join('')};`;
}

/** The term walk of a channel function; its return adds the placeholder ADD. */
function plainChannel(fn: string, xt: string, levels: readonly Level[]): string {
  const lines = [`static uint32_t ${fn}(const ${xt} *q) {`, '  int32_t o = 0;', '  int32_t s;', '  uint32_t a;'];
  let o = 0;
  levels.forEach((l, i) => {
    const taps = [...l.pos.map((t) => ({ t, op: '+' })), ...l.neg.map((t) => ({ t, op: '-' }))];
    taps.forEach(({ t, op }, j) => {
      const step = t === o ? [] : [`o += ${t - o};`, 'SAC_PIN(o);'];
      o = t;
      const acc = j === 0 ? (op === '+' ? `s = q[o];` : `s = -q[o];`) : `s ${op}= q[o];`;
      lines.push(`  ${[...step, acc].join(' ')}`);
    });
    if (i === 0) lines.push('  a = (uint32_t)s;');
    else lines.push(`  a = (a << ${levels[i - 1]!.sh - l.sh}) + (uint32_t)s;`);
  });
  const last = levels[levels.length - 1]!.sh;
  lines.push(`  return ${last ? `(a << ${last})` : 'a'} + ADD;`, '}');
  return lines.join('\n');
}

/**
 * Requantisation folded into a clamp when every channel shifts right (r >= 0): see `unrolledOutput`. Only the
 * lower bound is kept: the upper one is the caller's `clampHi` expression (a literal or a per-channel table),
 * inside the output type's range by the op's checks.
 */
export interface FastNarrow { lo: number }

/** The lower bound of clamp(sat(v, bits), lo, hi) as one clamp, or null if the two ranges do not overlap. */
export function fastNarrow(shifts: ArrayLike<number>, bits: number, lo: number, hi: number): FastNarrow | null {
  const smax = 2 ** (bits - 1) - 1;
  const L = Math.max(lo, -smax - 1);
  if (L > Math.min(hi, smax) || Array.from(shifts).some((r) => r < 0)) return null;
  return { lo: L };
}

/**
 * Emits the per-channel functions and the table `fn_f` of them (const: flash). With a fast narrow the
 * functions include the rounding constant 2^(r-1), so the caller's requantisation is `>> r` and one clamp.
 */
export function emitChannels(ctx: KernelCtx, xt: string, codes: Tensor, M: number, D: number, K: number, tapOff: readonly number[],
  bias: ArrayLike<number>, shifts: ArrayLike<number>, fast: FastNarrow | null, gain?: Tensor): { table: string; fnT: string; terms: number } {
  const f = ctx.fn;
  const names: string[] = [];
  let terms = 0;
  for (let m = 0; m < M; m++) {
    const levels = channelLevels(codes, m, D, K, tapOff);
    for (const l of levels) terms += l.pos.length + l.neg.length;
    const r = shifts[m]!;
    const round = fast && r > 0 ? 2 ** (r - 1) : 0;
    names.push(`${f}_c${m}`);
    const g = gain ? { codes: gain.data.subarray(m * gain.shape[1]!, (m + 1) * gain.shape[1]!), post: round } : undefined;
    ctx.decls.push(g ? channelText(`${f}_c${m}`, xt, levels, bias[m]!, g) : channelText(`${f}_c${m}`, xt, levels, bias[m]! + round));
  }
  const fnT = `${f}_fn`;
  ctx.decls.push(`typedef uint32_t (${'*'}${fnT})(const ${xt} *q);`);
  const rows: string[] = [];
  for (let i = 0; i < names.length; i += 8) rows.push(`  ${names.slice(i, i + 8).join(', ')},`);
  ctx.decls.push(`static const ${fnT} ${f}_f[${M}] = {\n${rows.join('\n')}\n};`);
  return { table: `${f}_f`, fnT, terms };
}

/** The statement storing one output from the channel function `fv` at window origin `p`. */
export function unrolledOutput(ctx: KernelCtx, yt: string, p: string, fast: FastNarrow | null, bits: number, lo: number, hi: string): string {
  if (fast) return `{ int32_t v = (int32_t)fv(${p}) >> r; *y++ = (${yt})(v < ${lit(fast.lo)} ? ${lit(fast.lo)} : v > ${hi} ? ${hi} : v); }`;
  return `*y++ = (${yt})${ctx.rt.need('sac_narrow')}((int32_t)fv(${p}), r, ${bits}, ${lit(lo)}, ${hi});`;
}

/**
 * The upper clamp of output channel `m` as a C expression: the literal actMax, or a per-channel table
 * (declared here, once per layer) when the layer's channels carry different fracs (ShiftAttrs.channelMax).
 */
export function clampHi(ctx: KernelCtx, a: ShiftAttrs): string {
  if (!a.channelMax) return lit(a.actMax);
  ctx.decls.push(constArray(`${ctx.fn}_hi`, a.bits === 16 ? 'int16_t' : 'int8_t', a.channelMax));
  return `${ctx.fn}_hi[m]`;
}

/**
 * A layer in code form: its channel functions and shift table, its flash accounting, and the kernel lines that
 * pick channel m's function (`decode`) and store one output whose window starts at `p` (`stmt`).
 */
export function codeForm(ctx: KernelCtx, xt: string, yt: string, M: number, D: number, a: ShiftAttrs, tapOff: readonly number[], p: string): { decode: string[]; stmt: string; weights: WeightStats } {
  const f = ctx.fn;
  const shifts = constData(ctx, SHIFT_OPERANDS.rshift).data;
  const fast = fastNarrow(shifts, a.bits, a.actMin, a.actMax);
  const gain = optionalConstData(ctx, SHIFT_OPERANDS.gain);
  const { table, fnT, terms } = emitChannels(ctx, xt, constData(ctx, SHIFT_OPERANDS.codes), M, D, a.terms, tapOff, constData(ctx, SHIFT_OPERANDS.bias).data, shifts, fast, gain);
  ctx.decls.push(constArray(`${f}_r`, 'int8_t', shifts));
  const stmt = unrolledOutput(ctx, yt, p, fast, a.bits, a.actMin, clampHi(ctx, a));
  return { decode: [`const ${fnT} fv = ${table}[m];`, `const int r = ${f}_r[m];`], stmt, weights: codeStats(terms, { M, B: a.shiftBits }) };
}
