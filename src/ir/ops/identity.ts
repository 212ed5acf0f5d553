// Identity: passes its input through (Dropout imports as this; canonicalize removes it).
import { defineOp } from '../op.js';
import { need, needT } from './util.js';
import { firstStacked } from './batch-rules.js';

export type IdentityAttrs = Record<string, never>;

export const identityOp = defineOp<IdentityAttrs>({
  arity: [1, 1],
  outputs: 1,
  traits: { scalePreserving: true },
  infer: (_a, inputs, where) => [need(inputs, 0, where)],
  run: (_a, inputs) => [needT(inputs, 0)],
  batch: firstStacked,
});
