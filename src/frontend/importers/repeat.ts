// Importers for Tile and Expand: their repeat/shape inputs must be constant and become static attributes.
import type { ImportContext } from '../context.js';
import { broadcastShapes } from '../../ir/ops/util.js';
import { checkedShape } from '../tensor-proto.js';

export function importTile(ctx: ImportContext): number[] {
  const repeats = ctx.constInts(1, 'repeats');
  return ctx.emit({ kind: 'Tile', attrs: { repeats } }, [ctx.input(0)]);
}

/** Expand's shape input is broadcast with the input's shape (it may be shorter or hold 1s), giving the output shape. */
export function importExpand(ctx: ImportContext): number[] {
  const spec = checkedShape(ctx.constInts(1, 'shape'), ctx.where, ctx.limits.maxElements);
  const shape = broadcastShapes(ctx.type(0).shape, spec, ctx.where);
  return ctx.emit({ kind: 'Expand', attrs: { shape } }, [ctx.input(0)]);
}
