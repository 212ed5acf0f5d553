// The op registry: the one explicit map from op kind to definition; the closed Op union derives from it.
import type { OpDef } from './op.js';
import { addOp } from './ops/add.js';
import { convOp } from './ops/conv.js';
import { divOp } from './ops/div.js';
import { identityOp } from './ops/identity.js';
import { mulOp } from './ops/mul.js';
import { reluOp } from './ops/relu.js';
import { reshapeOp } from './ops/reshape.js';
import { subOp } from './ops/sub.js';

// Adding an op: one file in ./ops, one line here, one test.
export const OPS = {
  Add: addOp,
  Conv: convOp,
  Div: divOp,
  Identity: identityOp,
  Mul: mulOp,
  Relu: reluOp,
  Reshape: reshapeOp,
  Sub: subOp,
} as const;

export type OpKind = keyof typeof OPS;

type AttrsOf<D> = D extends OpDef<infer A> ? A : never;

/** The closed op union: `switch (op.kind)` over it is exhaustiveness-checked. */
export type Op = { [K in OpKind]: { readonly kind: K; readonly attrs: AttrsOf<(typeof OPS)[K]> } }[OpKind];

export function isOpKind(s: string): s is OpKind {
  return Object.prototype.hasOwnProperty.call(OPS, s);
}
