// WebAssembly AdderConv: a zero-padded i32 copy of the sample, then acc = bias - sum |x - w| per output element; no multiply.
import type { Graph, Node } from '../../ir/graph.js';
import { ADDER_OPERANDS } from '../../ir/lowered.js';
import type { AdderConvAttrs } from '../../ir/ops/adder-conv.js';
import { as2d } from '../../ir/ops/conv.js';
import { OP } from './encoder.js';
import { elemBytes, inAddr, inType, nest, outAddr, outType, type WasmKernelCtx } from './kernel.js';

interface AdderGeom { N: number; C: number; H: number; W: number; Hp: number; Wp: number; OH: number; OW: number; pt: number; pl: number }

function geom(g: Graph, node: Node): AdderGeom {
  const a = node.op.attrs as AdderConvAttrs;
  const x = g.values[node.inputs[ADDER_OPERANDS.x]!]!.type.shape;
  const y = g.values[node.outputs[0]!]!.type.shape;
  const { p } = as2d(a);
  const two = x.length === 4;
  const H = two ? x[2]! : 1;
  const W = x[x.length - 1]!;
  return { N: x[0]!, C: x[1]!, H, W, Hp: H + p[0]! + p[2]!, Wp: W + p[1]! + p[3]!, OH: two ? y[2]! : 1, OW: y[y.length - 1]!, pt: p[0]!, pl: p[1]! };
}

/** Scratch: one sample's zero-padded input as i32. */
export function adderScratch(g: Graph, node: Node): number {
  const s = geom(g, node);
  return s.C * s.Hp * s.Wp * 4;
}

export function adderConvKernel(ctx: WasmKernelCtx): void {
  const { g, node, data } = ctx;
  const c = ctx.code;
  const a = node.op.attrs as AdderConvAttrs;
  const s = geom(g, node);
  const { k, s: st, d } = as2d(a);
  const [KH, KW] = k as [number, number];
  const cPerG = s.C / a.group;
  const wT = g.values[node.inputs[ADDER_OPERANDS.weights]!]!.data!;
  const M = wT.shape[0]!;
  const mPerG = M / a.group;
  const gainId = node.inputs[ADDER_OPERANDS.gain];
  const gain = gainId !== undefined && gainId >= 0 ? g.values[gainId]!.data! : undefined;
  const G = gain ? gain.shape[1]! : 0;
  const xb = elemBytes(inType(ctx, ADDER_OPERANDS.x));
  const yb = elemBytes(outType(ctx));
  const plane = s.Hp * s.Wp * 4;
  // Byte offset of tap (ci, kh, kw) from the window origin in the padded copy: a table, so no index is multiplied.
  const tapOff: number[] = [];
  for (let ci = 0; ci < cPerG; ci++) for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) tapOff.push(ci * plane + (kh * d[0]! * s.Wp + kw * d[1]!) * 4);
  const D = tapOff.length;
  const offAt = data.i32(tapOff);
  const wAt = data.i32(wT.data);
  const biasAt = data.i32(g.values[node.inputs[ADDER_OPERANDS.bias]!]!.data!.data);
  const rAt = data.i32(g.values[node.inputs[ADDER_OPERANDS.rshift]!]!.data!.data);
  const gainAt = gain ? data.i8(gain.data) : 0;
  const xp = ctx.scratch;
  const xs = c.local(); const yp = c.local(); const gb = c.local(); const ro = c.local(); const o = c.local();
  const wp = c.local(); const bp = c.local(); const rp = c.local(); const gp = c.local();
  const acc = c.local(); const tp = c.local(); const wq = c.local(); const v = c.local(); const sg = c.local();
  c.i32(inAddr(ctx, ADDER_OPERANDS.x)).set(xs).i32(outAddr(ctx)).set(yp);
  c.forN(s.N, () => {
    // Zero-padded i32 copy of this sample: padded taps read the zero point 0, so they add |0 - w|.
    c.i32(xp).i32(0).i32(s.C * plane).fill();
    nest(c, [s.C, s.H, s.W], [
      { base: 0, strides: [s.H * s.W * xb, s.W * xb, xb] },
      { base: xp + (s.pt * s.Wp + s.pl) * 4, strides: [plane, s.Wp * 4, 4] },
    ], ([px, pq]) => { c.get(pq!).get(xs).get(px!).op(OP.add).load(xb).store(4); });
    c.i32(wAt).set(wp).i32(biasAt).set(bp).i32(rAt).set(rp).i32(gainAt).set(gp).i32(xp).set(gb);
    c.forN(a.group, () => {
      c.forN(mPerG, () => {
        c.get(gb).set(ro);
        c.forN(s.OH, () => {
          c.get(ro).set(o);
          c.forN(s.OW, () => {
            c.get(bp).load(4).set(acc).i32(offAt).set(tp).get(wp).set(wq);
            c.forN(D, () => {
              // v = x - w; |v| = (v ^ s) - s with s = v >> 31.
              c.get(o).get(tp).load(4).op(OP.add).load(4).get(wq).load(4).op(OP.sub).set(v);
              c.get(v).i32(31).op(OP.shr_s).set(sg);
              c.get(acc).get(v).get(sg).op(OP.xor).get(sg).op(OP.sub, OP.sub).set(acc);
              c.bump(tp, 4).bump(wq, 4);
            });
            c.get(yp).get(acc);
            if (gain) c.get(gp).i32(G).call(ctx.rt.gain());
            c.get(rp).load(4).i32(a.actMin).i32(a.actMax).i32(a.bits).call(ctx.rt.narrow());
            c.store(yb);
            c.bump(yp, yb).bump(o, st[1]! * 4);
          });
          c.bump(ro, st[0]! * s.Wp * 4);
        });
        c.bump(wp, D * 4).bump(bp, 4).bump(rp, 4).bump(gp, G);
      });
      c.bump(gb, cPerG * plane);
    });
    c.bump(xs, s.C * s.H * s.W * xb);
  });
}
