// Importers for elementwise ops: activations with attributes, Clip, PRelu, variadic Max/Min/Sum and legacy-broadcast arithmetic.
import type { ImportContext } from '../context.js';
import { fail } from '../../diagnostics.js';
import { check, checkAttr } from '../../ir/ops/util.js';
import { normAxis, numel, sameShape } from '../../ir/tensor.js';

type Arith = 'Add' | 'Sub' | 'Mul' | 'Div' | 'Pow';

/**
 * Add/Sub/Mul/Div/Pow. Before opset 7 ONNX had no implicit broadcasting: `broadcast=1` aligns B with A
 * starting at `axis` (default: B's dims are A's trailing dims). B is reshaped with trailing 1s so numpy
 * broadcasting in the IR op gives the legacy result.
 */
export function importArith(kind: Arith) {
  return (ctx: ImportContext): number[] => {
    let b = ctx.input(1);
    if (ctx.opset < 7) {
      const a = ctx.type(0).shape;
      const bs = ctx.type(1).shape;
      if (ctx.int('broadcast', 0) === 1) {
        const axis = ctx.hasAttr('axis') ? normAxis(ctx.int('axis', 0), a.length) : a.length - bs.length;
        checkAttr(axis >= 0 && axis + bs.length <= a.length, `axis ${ctx.int('axis', 0)} cannot align B [${bs}] with A [${a}]`, ctx.where);
        // Legacy broadcasting also accepted size-1 dims in B (PyTorch exports rely on it); numpy rules cover that.
        for (let i = 0; i < bs.length; i++) check(bs[i] === a[axis + i] || bs[i] === 1, `B [${bs}] does not match A [${a}] at axis ${axis}`, ctx.where);
        const trailing = a.length - axis - bs.length;
        if (trailing > 0) b = ctx.emit({ kind: 'Reshape', attrs: { shape: [...bs, ...new Array<number>(trailing).fill(1)] } }, [b], { intermediate: true })[0]!;
      } else {
        check(sameShape(a, bs), `shapes [${a}] and [${bs}] differ and broadcast is not set (opset ${ctx.opset})`, ctx.where);
      }
    }
    return ctx.emit({ kind, attrs: {} }, [ctx.input(0), b]);
  };
}

export function importLeakyRelu(ctx: ImportContext): number[] {
  return ctx.emit({ kind: 'LeakyRelu', attrs: { alpha: ctx.float('alpha', 0.01) } }, [ctx.input(0)]);
}

export function importElu(ctx: ImportContext): number[] {
  return ctx.emit({ kind: 'Elu', attrs: { alpha: ctx.float('alpha', 1) } }, [ctx.input(0)]);
}

/** Defaults are the float32 constants from the ONNX spec. */
export function importSelu(ctx: ImportContext): number[] {
  const alpha = ctx.float('alpha', 1.67326319217681884765625);
  const gamma = ctx.float('gamma', 1.05070102214813232421875);
  return ctx.emit({ kind: 'Selu', attrs: { alpha, gamma } }, [ctx.input(0)]);
}

export function importHardSigmoid(ctx: ImportContext): number[] {
  return ctx.emit({ kind: 'HardSigmoid', attrs: { alpha: ctx.float('alpha', 0.2), beta: ctx.float('beta', 0.5) } }, [ctx.input(0)]);
}

/** Clip: bounds are attributes before opset 11 and optional (constant) scalar inputs from 11 on. */
export function importClip(ctx: ImportContext): number[] {
  let min = -Infinity;
  let max = Infinity;
  if (ctx.opset < 11) {
    min = ctx.float('min', -Infinity);
    max = ctx.float('max', Infinity);
  } else {
    const bound = (k: number, what: string): number | undefined => {
      if (!ctx.has(k)) return undefined;
      const t = ctx.requireConst(k, what);
      checkAttr(t.data.length === 1, `${what} must be a scalar, got shape [${t.shape}]`, ctx.where);
      return Number(t.data[0]);
    };
    min = bound(1, 'min') ?? min;
    max = bound(2, 'max') ?? max;
  }
  checkAttr(!Number.isNaN(min) && !Number.isNaN(max), 'clip bounds must not be NaN', ctx.where);
  return ctx.emit({ kind: 'Clip', attrs: { min, max } }, [ctx.input(0)]);
}

/**
 * PRelu. From opset 7 the slope broadcasts unidirectionally (numpy rules) onto X. Before that, and in
 * older PyTorch exports that keep the old convention, a 1-D slope of length C is per channel (axis 1);
 * it is reshaped to [C, 1, ...] so the IR op only ever sees numpy broadcasting.
 */
export function importPRelu(ctx: ImportContext): number[] {
  const x = ctx.type(0).shape;
  const s = ctx.type(1).shape;
  let slope = ctx.input(1);
  const perChannel = s.length === 1 && x.length >= 2 && s[0] === x[1] && s[0] !== 1;
  const numpyOk = s.length <= x.length && s.every((d, i) => d === 1 || d === x[x.length - s.length + i]);
  if (perChannel && (ctx.opset < 7 || !numpyOk)) {
    slope = ctx.emit({ kind: 'Reshape', attrs: { shape: [s[0]!, ...new Array<number>(x.length - 2).fill(1)] } }, [slope], { intermediate: true })[0]!;
  } else if (ctx.opset < 7 && numel(s) !== 1 && !numpyOk) {
    fail('SAC013', `slope [${s}] is neither a scalar, per-channel nor broadcastable to input [${x}]`, ctx.where);
  }
  return ctx.emit({ kind: 'PRelu', attrs: {} }, [ctx.input(0), slope]);
}

/** Max/Min/Sum: numpy broadcasting from opset 8; before that inputs had to agree in shape, a special case. */
export function importVariadic(kind: 'Max' | 'Min' | 'Sum') {
  return (ctx: ImportContext): number[] => {
    const ins = Array.from({ length: ctx.inputCount }, (_, k) => ctx.input(k));
    checkAttr(ins.length >= 1 && ins.every((i) => i >= 0), `${kind} needs at least one input and no omitted inputs`, ctx.where);
    return ctx.emit({ kind, attrs: {} }, ins);
  };
}
