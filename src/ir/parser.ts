// Textual IR parser: inverts printer.ts exactly; every node goes through GraphBuilder so the result is type-checked.
import { ShiftaddcError } from '../diagnostics.js';
import { GraphBuilder, opDef, type Graph, type Quant } from './graph.js';
import type { AttrValue } from './op.js';
import { Lexer, perr } from './lexer.js';
import { formatValueName } from './printer.js';
import { isOpKind, type Op } from './registry.js';
import { DTYPE_SHORT, formatType, numel, sameShape, tensor, type DType, type TensorType } from './tensor.js';

const DTYPE_BY_SHORT = new Map<string, DType>(
  (Object.entries(DTYPE_SHORT) as [DType, string][]).map(([d, s]) => [s, d]),
);

const INT_RANGE: Partial<Record<DType, [number, number]>> = {
  int8: [-128, 127], uint8: [0, 255], bool: [0, 1], int16: [-32768, 32767], int32: [-2147483648, 2147483647],
};

interface Decl {
  name: string;
  type: TensorType;
  quant?: Quant;
}

/** `%name : f32[1,2] [frac=N]` */
function parseDecl(lx: Lexer): Decl {
  const name = lx.valueName();
  if (name === '') lx.err('empty value name');
  lx.expect(':');
  const short = lx.ident('a type (e.g. f32[1,3])');
  const dtype = DTYPE_BY_SHORT.get(short) ?? lx.err(`unknown dtype '${short}' (expected one of ${[...DTYPE_BY_SHORT.keys()].join(', ')})`);
  lx.expect('[', `'[' after dtype ${short}`);
  const shape: number[] = [];
  if (!lx.tryChar(']')) {
    do {
      const d = lx.int('a dimension');
      if (d < 0) lx.err(`negative dimension ${d}`);
      shape.push(d);
    } while (lx.tryChar(','));
    lx.expect(']');
  }
  const decl: Decl = { name, type: { dtype, shape } };
  const save = lx.pos;
  if (lx.tryIdent() === 'frac') {
    lx.expect('=');
    const frac = lx.int('a frac');
    const save2 = lx.pos;
    if (lx.tryIdent() === 'chfrac') {
      lx.expect('=');
      lx.expect('[');
      const channels: number[] = [];
      if (!lx.tryChar(']')) {
        do channels.push(lx.int('a channel frac')); while (lx.tryChar(','));
        lx.expect(']');
      }
      decl.quant = { frac, channels };
    } else {
      lx.pos = save2;
      decl.quant = { frac };
    }
  } else lx.pos = save;
  return decl;
}

/** `= [v, ...]` data of a constant (or `elided(...)`, which cannot be parsed back). */
function parseData(lx: Lexer, d: Decl) {
  lx.expect('=');
  const save = lx.pos;
  if (lx.tryIdent() === 'elided') {
    lx.expect('(');
    lx.keyword('crc32');
    lx.expect('=');
    const crc = lx.hex8();
    lx.expect(')');
    lx.err(`constant ${formatValueName(d.name)} is elided (crc32=${crc}); print the graph with elideConstantsOver: Infinity to make it parseable`);
  }
  lx.pos = save;
  lx.expect('[', "constant data '[...]'");
  const vals: number[] = [];
  if (!lx.tryChar(']')) {
    do vals.push(lx.number('a constant element')); while (lx.tryChar(','));
    lx.expect(']');
  }
  const n = numel(d.type.shape);
  if (vals.length !== n) lx.err(`constant ${formatValueName(d.name)} has ${vals.length} elements, ${formatType(d.type)} needs ${n}`);
  const { dtype } = d.type;
  if (dtype !== 'float32') {
    const range = INT_RANGE[dtype];
    for (const v of vals) {
      if (!Number.isInteger(v)) lx.err(`constant ${formatValueName(d.name)}: ${v} is not a valid ${dtype} element`);
      if (range && (v < range[0] || v > range[1])) lx.err(`constant ${formatValueName(d.name)}: ${v} is out of range for ${dtype}`);
    }
  }
  return tensor(dtype, d.type.shape, vals);
}

function parseAttrValue(lx: Lexer): AttrValue {
  const c = lx.peek();
  if (c === '"') return lx.string();
  if (c === '[') {
    lx.expect('[');
    const items: number[] = [];
    if (!lx.tryChar(']')) {
      do items.push(lx.number('an array element')); while (lx.tryChar(','));
      lx.expect(']');
    }
    return items;
  }
  const save = lx.pos;
  const id = lx.tryIdent();
  if (id === 'true') return true;
  if (id === 'false') return false;
  lx.pos = save;
  return lx.number('an attribute value');
}

function parseAttrs(lx: Lexer): Record<string, AttrValue> {
  const attrs: Record<string, AttrValue> = {};
  if (!lx.tryChar('{')) return attrs;
  do {
    const key = lx.peek() === '"' ? lx.string('an attribute name') : lx.ident('an attribute name');
    if (Object.prototype.hasOwnProperty.call(attrs, key)) lx.err(`duplicate attribute ${key}`);
    lx.expect('=');
    attrs[key] = parseAttrValue(lx);
  } while (lx.tryChar(','));
  lx.expect('}');
  return attrs;
}

/**
 * Parses the textual IR printed by printGraph. Value ids follow the order in which values appear.
 * Throws ShiftaddcError SAC031 (`line N: ...`) on syntax errors, unknown ops or values, elided
 * constants, and output types that disagree with the op's type inference.
 */
export function parseGraph(text: string): Graph {
  const lines = text.split('\n');
  let b: GraphBuilder | undefined;
  const ids = new Map<string, number>();
  const inputs: number[] = [];
  const outputs: number[] = [];
  let closedAt = 0;

  const define = (lx: Lexer, d: Decl): void => {
    if (ids.has(d.name)) lx.err(`value ${formatValueName(d.name)} is defined twice`);
  };
  const lookup = (lx: Lexer): number => {
    const name = lx.valueName();
    return ids.get(name) ?? lx.err(`unknown value ${formatValueName(name)} (not defined on an earlier line)`);
  };

  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const lx = new Lexer(raw, i + 1);
    if (closedAt) lx.err(`text after the closing '}' on line ${closedAt}`);
    if (!b) {
      lx.keyword('graph');
      const name = lx.string('the graph name');
      lx.keyword('opset');
      const opset = lx.int('an opset version');
      lx.expect('{');
      lx.end();
      b = new GraphBuilder(name, opset);
      continue;
    }
    const c = lx.peek();
    if (c === '}') { lx.expect('}'); lx.end(); closedAt = i + 1; continue; }
    if (c === '%' || c === '=') { parseNodeLine(lx, b, ids, lookup, define); continue; }
    const kw = lx.ident("'input', 'const', 'output' or a node");
    if (kw === 'input' || kw === 'const') {
      const d = parseDecl(lx);
      define(lx, d);
      let id: number;
      if (kw === 'const' || lx.peek() === '=') id = b.addConst(d.name, parseData(lx, d), d.quant);
      else id = b.addValue(d.name, d.type, d.quant ? { quant: d.quant } : {});
      lx.end();
      ids.set(d.name, id);
      if (kw === 'input') inputs.push(id);
    } else if (kw === 'output') {
      outputs.push(lookup(lx));
      lx.end();
    } else lx.err(`unknown statement '${kw}'`);
  }
  if (!b) return perr(1, "missing header 'graph \"name\" opset N {'");
  if (!closedAt) return perr(lines.length, "missing closing '}'");
  return b.finish(inputs, outputs);
}

function parseNodeLine(lx: Lexer, b: GraphBuilder, ids: Map<string, number>, lookup: (lx: Lexer) => number,
  define: (lx: Lexer, d: Decl) => void): void {
  const outs: Decl[] = [];
  if (lx.peek() === '%') {
    do {
      const d = parseDecl(lx);
      define(lx, d);
      if (outs.some((o) => o.name === d.name)) lx.err(`value ${formatValueName(d.name)} is defined twice`);
      outs.push(d);
    } while (lx.tryChar(','));
  }
  lx.expect('=');
  const kind = lx.ident('an op name');
  if (!isOpKind(kind)) lx.err(`unknown op '${kind}'`);
  lx.expect('(');
  const args: number[] = [];
  if (!lx.tryChar(')')) {
    do {
      if (lx.peek() !== '_') args.push(lookup(lx));
      else if (lx.ident() === '_') args.push(-1);
      else lx.err("expected a value (%name) or '_' for an omitted input");
    } while (lx.tryChar(','));
    lx.expect(')');
  }
  const attrs = parseAttrs(lx);
  lx.expect('@', "the node name '@\"...\"'");
  const name = lx.string('the node name');
  lx.end();

  const [min, max] = opDef(kind).arity;
  if (args.length < min || args.length > max) lx.err(`${kind} takes ${min}..${max} inputs, got ${args.length}`);
  const op = { kind, attrs } as unknown as Op;
  const where = `node '${name}' (${kind})`;
  let inferred: TensorType[];
  try {
    inferred = b.addNodeTypes(op, args, where);
  } catch (e) {
    if (e instanceof ShiftaddcError) return lx.err(`${e.message}${e.where ? ` (at ${e.where})` : ''}`);
    if (e instanceof Error) return lx.err(`${where}: type inference failed: ${e.message}`);
    throw e;
  }
  if (inferred.length !== outs.length) lx.err(`${kind} produces ${inferred.length} output(s), the line declares ${outs.length}`);
  outs.forEach((d, k) => {
    const t = inferred[k]!;
    if (t.dtype !== d.type.dtype || !sameShape(t.shape, d.type.shape)) {
      lx.err(`output ${formatValueName(d.name)} is declared ${formatType(d.type)} but ${kind} infers ${formatType(t)}`);
    }
  });
  const outIds = b.addNode(name, op, args, outs.map((d) => d.name), outs.map((d) => d.type), outs.map((d) => d.quant));
  outIds.forEach((id, k) => ids.set(outs[k]!.name, id));
}
