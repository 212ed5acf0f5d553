// Textual IR printer: the stable, deterministic form used by golden tests and --print-ir-after (parser.ts inverts it).
import type { Graph, Quant, Value } from './graph.js';
import { formatType, numel, type Tensor, type TensorType } from './tensor.js';

export interface PrintOptions {
  /** Constants with more elements than this print as `elided(crc32=...)`; default 16, Infinity prints all. */
  elideConstantsOver?: number;
}

export const DEFAULT_ELIDE_OVER = 16;

/** Value names matching this print bare (`%conv1/w:0`); anything else prints JSON-quoted (`%"a b"`). */
export const BARE_VALUE_NAME = /^[A-Za-z_][A-Za-z0-9_.\-/:]*$/;
/** Attribute keys matching this print bare; others JSON-quoted. */
export const BARE_ATTR_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function formatValueName(name: string): string {
  return BARE_VALUE_NAME.test(name) ? `%${name}` : `%${JSON.stringify(name)}`;
}

/** Shortest round-tripping form of a double; `inf`, `-inf`, `nan`, and `-0` kept distinct from `0`. */
export function formatNumber(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (Object.is(x, -0)) return '-0';
  return String(x);
}

/** Shortest decimal that reads back (through Math.fround) as the same float32. */
export function formatFloat32(x: number): string {
  if (!Number.isFinite(x) || x === 0) return formatNumber(x);
  for (let p = 1; p <= 9; p++) {
    const d = Number(x.toPrecision(p));
    if (Math.fround(d) === x) return String(d);
  }
  return String(x);
}

function formatAttrValue(v: unknown, where: string): string {
  switch (typeof v) {
    case 'number': return formatNumber(v);
    case 'string': return JSON.stringify(v);
    case 'boolean': return v ? 'true' : 'false';
    default:
      if (Array.isArray(v) || ArrayBuffer.isView(v)) {
        const items = Array.from(v as ArrayLike<unknown>, (e) => {
          if (typeof e !== 'number') throw new Error(`${where}: only numeric arrays are printable`);
          return formatNumber(e);
        });
        return `[${items.join(',')}]`;
      }
      throw new Error(`${where}: attribute value ${String(v)} is not printable`);
  }
}

/** `{k=v, ...}` sorted by key, or '' when there are no (defined) attrs. */
export function formatAttrs(attrs: object, where = 'attrs'): string {
  const rec = attrs as Record<string, unknown>;
  const keys = Object.keys(rec).filter((k) => rec[k] !== undefined).sort();
  if (keys.length === 0) return '';
  const parts = keys.map((k) => `${BARE_ATTR_KEY.test(k) ? k : JSON.stringify(k)}=${formatAttrValue(rec[k], `${where} attr ${k}`)}`);
  return ` {${parts.join(', ')}}`;
}

/** `f32[1,16]`, with ` frac=N` when the value carries a fixed-point annotation. */
export function formatValueType(t: TensorType, quant?: Quant): string {
  if (!quant) return formatType(t);
  const ch = quant.channels ? ` chfrac=[${quant.channels.join(',')}]` : '';
  return `${formatType(t)} frac=${formatNumber(quant.frac)}${ch}`;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE 802.3, as zlib/PNG). */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** The tensor's elements as little-endian bytes in its dtype (int64 as 8-byte integers). */
export function tensorBytes(t: Tensor): Uint8Array {
  const n = t.data.length;
  const src = t.data;
  switch (t.dtype) {
    case 'int8': case 'uint8': case 'bool':
      return new Uint8Array(src.buffer, src.byteOffset, n).slice();
    default: break;
  }
  const size = t.dtype === 'int64' ? 8 : t.dtype === 'int16' ? 2 : 4;
  const out = new Uint8Array(n * size);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < n; i++) {
    const v = src[i]!;
    switch (t.dtype) {
      case 'float32': dv.setFloat32(i * 4, v, true); break;
      case 'int16': dv.setInt16(i * 2, v, true); break;
      case 'int32': dv.setInt32(i * 4, v, true); break;
      case 'int64': dv.setBigInt64(i * 8, Number.isFinite(v) ? BigInt.asIntN(64, BigInt(Math.trunc(v))) : 0n, true); break;
    }
  }
  return out;
}

/** `[a, b, ...]` for small constants, `elided(crc32=xxxxxxxx)` for large ones. */
export function formatConstData(t: Tensor, elideOver: number): string {
  if (numel(t.shape) > elideOver) return `elided(crc32=${crc32(tensorBytes(t)).toString(16).padStart(8, '0')})`;
  // Integer arrays print as join does (no NaN or -0 to spell), without a call per element; int64 is held as float64.
  if (t.dtype !== 'float32' && t.dtype !== 'int64') return `[${t.data.join(', ')}]`;
  const fmt = t.dtype === 'float32' ? formatFloat32 : formatNumber;
  return `[${Array.from(t.data, fmt).join(', ')}]`;
}

function decl(v: Value): string {
  return `${formatValueName(v.name)} : ${formatValueType(v.type, v.quant)}`;
}

/**
 * Prints a graph. Definition order: graph inputs, then constants (by id), then nodes in order
 * (each with its outputs), then graph outputs. Ends with a newline.
 */
export function printGraph(g: Graph, opts: PrintOptions = {}): string {
  const elideOver = opts.elideConstantsOver ?? DEFAULT_ELIDE_OVER;
  const ref = (id: number): string => {
    if (id < 0) return '_';
    const v = g.values[id];
    return v ? formatValueName(v.name) : `%"<missing value ${id}>"`;
  };
  const lines: string[] = [`graph ${JSON.stringify(g.name)} opset ${formatNumber(g.opset)} {`];
  const isInput = new Uint8Array(g.values.length);
  const produced = new Uint8Array(g.values.length);
  for (const n of g.nodes) for (const o of n.outputs) if (o >= 0 && o < produced.length) produced[o] = 1;
  for (const id of g.inputs) {
    const v = g.values[id];
    if (!v) { lines.push(`  input ${ref(id)} : ?`); continue; }
    isInput[id] = 1;
    lines.push(`  input ${decl(v)}${v.data ? ` = ${formatConstData(v.data, elideOver)}` : ''}`);
  }
  for (const v of g.values) {
    if (!v.data || isInput[v.id] || produced[v.id]) continue;
    lines.push(`  const ${decl(v)} = ${formatConstData(v.data, elideOver)}`);
  }
  for (const n of g.nodes) {
    const outs = n.outputs.map((o) => { const v = g.values[o]; return v ? decl(v) : `${ref(o)} : ?`; }).join(', ');
    const where = `node '${n.name}' (${n.op.kind})`;
    const rhs = `${n.op.kind}(${n.inputs.map(ref).join(', ')})${formatAttrs(n.op.attrs, where)} @${JSON.stringify(n.name)}`;
    lines.push(outs ? `  ${outs} = ${rhs}` : `  = ${rhs}`);
  }
  for (const id of g.outputs) lines.push(`  output ${ref(id)}`);
  lines.push('}');
  return lines.join('\n') + '\n';
}
