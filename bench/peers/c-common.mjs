// Shared C-writing helpers of the peer generators (float-c.mjs, int8-mac-c.mjs): buffers, loop nests, file layout.
// Both peers use the same loop structures so their instruction counts differ only by arithmetic and data width.

const numel = (shape) => shape.reduce((a, b) => a * b, 1);
export { numel };

/** A float32 C literal with enough digits to round-trip. */
export function flt(v) {
  const s = Math.fround(v).toPrecision(9);
  return /[.e]/.test(s) ? `${s}f` : `${s}.0f`;
}

/** A C array initialiser, 16 values a line. */
export function initList(values, isFloat) {
  const fmt = isFloat ? flt : String;
  const rows = [];
  for (let i = 0; i < values.length; i += 16) rows.push(`  ${Array.from(values.slice(i, i + 16), fmt).join(', ')},`);
  return `{\n${rows.join('\n')}\n}`;
}

/**
 * Storage of every non-constant value: the graph input is the `in` parameter, Reshape outputs alias their
 * input (no code, as in our backend), every other tensor gets its own static buffer (no arena reuse: the
 * peers measure instructions, not memory). Returns the C expression per value id and the declarations.
 */
export function buffers(g, ctype) {
  const name = new Map([[g.inputs[0], 'in']]);
  const decls = [];
  for (const n of g.nodes) {
    for (const o of n.outputs) {
      if (n.op.kind === 'Reshape') name.set(o, name.get(n.inputs[0]));
      else { name.set(o, `t${o}`); decls.push(`static ${ctype(g.values[o])} t${o}[${numel(g.values[o].type.shape)}];`); }
    }
  }
  return { name, decls };
}

/** Spatial geometry of a 2-D window op (NCHW, batch 1) from the input/output shapes and attrs. */
export function geom(inShape, outShape, a) {
  const [, C, H, W] = inShape;
  const [, M, OH, OW] = outShape;
  if ((a.kernel ?? [0, 0]).length !== 2) throw new Error('peers handle 2-D windows only');
  const [KH, KW] = a.kernel;
  const [SH, SW] = a.strides;
  const [PT, PL] = a.pads;
  const [DH, DW] = a.dilations ?? [1, 1];
  return { C, H, W, M, OH, OW, KH, KW, SH, SW, PT, PL, DH, DW };
}

/**
 * Direct convolution, one output at a time, window clipped to the image once per row/column (no padding
 * branches in the inner loop). `acc` is the accumulator declaration, `mac` the statement adding x[xi]*w[wi],
 * `store` writes the accumulator of channel m to y[yi].
 */
export function convLoop({ x, w, y, g, group, accInit, mac, store }) {
  const CG = g.C / group;
  const MG = g.M / group;
  return `  for (int m = 0; m < ${g.M}; m++) {
    const int c0 = (m / ${MG}) * ${CG};
    for (int oh = 0; oh < ${g.OH}; oh++) {
      const int ih0 = oh * ${g.SH} - ${g.PT};
      int khLo = 0, khHi = ${g.KH};
      while (khLo < khHi && ih0 + khLo * ${g.DH} < 0) khLo++;
      while (khHi > khLo && ih0 + (khHi - 1) * ${g.DH} >= ${g.H}) khHi--;
      for (int ow = 0; ow < ${g.OW}; ow++) {
        const int iw0 = ow * ${g.SW} - ${g.PL};
        int kwLo = 0, kwHi = ${g.KW};
        while (kwLo < kwHi && iw0 + kwLo * ${g.DW} < 0) kwLo++;
        while (kwHi > kwLo && iw0 + (kwHi - 1) * ${g.DW} >= ${g.W}) kwHi--;
        ${accInit};
        for (int c = 0; c < ${CG}; c++)
          for (int kh = khLo; kh < khHi; kh++)
            for (int kw = kwLo; kw < kwHi; kw++) {
              const int xi = ((c0 + c) * ${g.H} + ih0 + kh * ${g.DH}) * ${g.W} + iw0 + kw * ${g.DW};
              const int wi = ((m * ${CG} + c) * ${g.KH} + kh) * ${g.KW} + kw;
              ${mac(x, w)};
            }
        { const int yi = (m * ${g.OH} + oh) * ${g.OW} + ow; ${store(y)}; }
      }
    }
  }`;
}

/** Fully connected y[n] = sum_k x[k] * w[n][k] (+ bias in accInit), weights stored [N][K]. */
export function gemmLoop({ x, w, y, N, K, accInit, mac, store }) {
  return `  for (int m = 0; m < ${N}; m++) {
    ${accInit};
    for (int k = 0; k < ${K}; k++) { const int xi = k, wi = m * ${K} + k; ${mac(x, w)}; }
    { const int yi = m; ${store(y)}; }
  }`;
}

/** Max pooling over the in-image part of each window (the models' pools have no padding). */
export function maxPoolLoop({ x, y, g, init }) {
  return `  for (int c = 0; c < ${g.M}; c++)
    for (int oh = 0; oh < ${g.OH}; oh++)
      for (int ow = 0; ow < ${g.OW}; ow++) {
        ${init};
        for (int kh = 0; kh < ${g.KH}; kh++)
          for (int kw = 0; kw < ${g.KW}; kw++) {
            const int ih = oh * ${g.SH} - ${g.PT} + kh * ${g.DH}, iw = ow * ${g.SW} - ${g.PL} + kw * ${g.DW};
            if (ih >= 0 && ih < ${g.H} && iw >= 0 && iw < ${g.W} && ${x}[(c * ${g.H} + ih) * ${g.W} + iw] > v) v = ${x}[(c * ${g.H} + ih) * ${g.W} + iw];
          }
        ${y}[(c * ${g.OH} + oh) * ${g.OW} + ow] = v;
      }`;
}

/** Concat along `axis` (batch 1): copies each input's contiguous block of `inner` elements in turn. */
export function concatLoop(g, n, name) {
  const out = g.values[n.outputs[0]].type.shape;
  const axis = n.op.attrs.axis < 0 ? n.op.attrs.axis + out.length : n.op.attrs.axis;
  const outer = numel(out.slice(0, axis));
  const rowOut = numel(out.slice(axis));
  let off = 0;
  const parts = n.inputs.map((i) => {
    const row = numel(g.values[i].type.shape.slice(axis));
    const s = `    for (int j = 0; j < ${row}; j++) ${name.get(n.outputs[0])}[o * ${rowOut} + ${off} + j] = ${name.get(i)}[o * ${row} + j];`;
    off += row;
    return s;
  });
  return `  for (int o = 0; o < ${outer}; o++) {\n${parts.join('\n')}\n  }`;
}

/**
 * The translation unit: constants, buffers, one static function per node and `int NAME_run(in, out)` calling
 * them in order, then copying the graph output (`outExpr`, `outN` elements) to `out`.
 */
export function unit({ title, name, inT, outT, consts, decls, bodies, outExpr, outN }) {
  return `${title}
#include <stdint.h>

static const ${inT} *in;
${consts.join('\n')}

${decls.join('\n')}

${bodies.map((b, k) => `static void node${k}(void) {\n${b}\n}`).join('\n\n')}

int ${name}_run(const ${inT} *input, ${outT} *out) {
  in = input;
${bodies.map((_, k) => `  node${k}();`).join('\n')}
  for (int i = 0; i < ${outN}; i++) out[i] = ${outExpr}[i];
  return 0;
}
`;
}
