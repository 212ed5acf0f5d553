// ONNX ModelProto -> IR graph: opset check, unsupported-op report, topological order, per-node translation.
import type { onnx } from 'onnx-proto';
import { ONNX } from '../util/onnx-proto.js';
import { atNode, capped, escapeText, fail, MAX_QUOTED, quoted, ShiftaddcError } from '../diagnostics.js';
import { GraphBuilder, type Graph } from '../ir/graph.js';
import { outOfMemoryAt } from '../ir/interp-float.js';
import type { TensorType } from '../ir/tensor.js';
import { ImportContext } from './context.js';
import { IMPORTERS, OUT_OF_SCOPE } from './importers/index.js';
import { SHIFTADDC_DOMAIN, SHIFTADDC_OPSET } from './importers/shiftaddc.js';
import { checkedShape, decodeTensor, onnxDType, toNum, type TensorSource } from './tensor-proto.js';
import { resolveLimits, type Limits } from './limits.js';

export const MIN_OPSET = 6;
export const MAX_OPSET = 21;
/** ONNX IR versions a ModelProto may declare (3: ONNX 1.0/opset 6 .. 11: ONNX 1.18). */
export const MIN_IR_VERSION = 3;
export const MAX_IR_VERSION = 11;

/** Decodes bytes into a ModelProto, turning every protobuf failure into SAC003. */
export function decodeModel(bytes: Uint8Array): onnx.ModelProto {
  if (bytes.length === 0) fail('SAC002', 'model file has 0 bytes');
  let m: onnx.ModelProto;
  try {
    m = ONNX.ModelProto.decode(bytes);
  } catch (e) {
    return fail('SAC003', `protobuf decoding failed (${(e as Error).message})`);
  }
  if (!m.graph || (m.graph.node ?? []).length === 0 && (m.graph.output ?? []).length === 0) fail('SAC003', 'the file decodes but holds no graph');
  const ir = toNum(m.irVersion ?? 0);
  if (!(ir >= MIN_IR_VERSION && ir <= MAX_IR_VERSION)) fail('SAC018', `ir_version ${ir} is not one of ${MIN_IR_VERSION}..${MAX_IR_VERSION}`, 'the model header');
  return m;
}

export function modelOpset(m: onnx.IModelProto): number {
  const imports = m.opsetImport ?? [];
  const main = imports.find((o) => !o.domain || o.domain === 'ai.onnx');
  // No guess: an opset decides op semantics (e.g. Softmax's axis), so a model without one is invalid.
  if (!main) fail('SAC018', 'the model has no opset_import for the ai.onnx domain', 'the model header');
  const v = toNum(main.version ?? 0);
  if (!Number.isInteger(v) || v < MIN_OPSET || v > MAX_OPSET) fail('SAC004', `model uses ai.onnx opset ${v}, supported ${MIN_OPSET}..${MAX_OPSET}`);
  return v;
}

/** The importer table's key of a node: its op type, prefixed `domain.` outside the default domain. */
function importerKey(n: onnx.INodeProto): string {
  const domain = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.` : '';
  return `${domain}${n.opType ?? ''}`;
}

/** A model using the ai.shiftaddc ops must import that domain at its one version (docs/custom-ops.md). */
function checkCustomOpset(m: onnx.IModelProto): void {
  if (!(m.graph?.node ?? []).some((n) => n.domain === SHIFTADDC_DOMAIN)) return;
  const imp = (m.opsetImport ?? []).find((o) => o.domain === SHIFTADDC_DOMAIN);
  const v = imp ? toNum(imp.version ?? 0) : undefined;
  if (v !== SHIFTADDC_OPSET) fail('SAC004', v === undefined ? `the model uses ${SHIFTADDC_DOMAIN} ops but has no opset_import for that domain` : `model uses ${SHIFTADDC_DOMAIN} opset ${v}, supported ${SHIFTADDC_OPSET}`, 'the model header');
}

/** Every node whose op (with its domain) has no importer, in graph order. */
export function unsupportedNodes(g: onnx.IGraphProto): { op: string; node: string }[] {
  const out: { op: string; node: string }[] = [];
  (g.node ?? []).forEach((n, k) => {
    const op = importerKey(n);
    if (!Object.prototype.hasOwnProperty.call(IMPORTERS, op)) out.push({ op, node: n.name || `#${k}` });
  });
  return out;
}

/** Lists every unsupported op type with the first node using it, all at once. */
export function unsupportedOps(g: onnx.IGraphProto): { op: string; node: string }[] {
  const seen = new Map<string, string>();
  for (const u of unsupportedNodes(g)) if (!seen.has(u.op)) seen.set(u.op, u.node);
  return [...seen].map(([op, node]) => ({ op, node }));
}

function valueInfoType(vi: onnx.IValueInfoProto, where: string, maxElements: number): TensorType {
  const tt = vi.type?.tensorType;
  if (!tt) fail('SAC015', 'input is not a tensor', where);
  const dims = (tt.shape?.dim ?? []).map((d, k) => {
    // Symbolic or unknown dims (batch) are bound to 1; runFloat then runs larger batches as that many samples.
    if (!Object.prototype.hasOwnProperty.call(d, 'dimValue') || d.dimValue === null || d.dimValue === undefined) return 1;
    const v = toNum(d.dimValue);
    if (!(v >= 1)) fail('SAC018', `dimension ${k} is ${v}; a declared dimension must be at least 1 (or symbolic)`, where);
    return v;
  });
  return { dtype: onnxDType(tt.elemType ?? 0, where), shape: checkedShape(dims, where, maxElements) };
}

/** Orders nodes so producers come first; reports dangling inputs and cycles. */
function topoOrder(g: onnx.IGraphProto, known: Set<string>): onnx.INodeProto[] {
  const nodes = g.node ?? [];
  const producer = new Map<string, number>();
  nodes.forEach((n, k) => (n.output ?? []).forEach((o) => { if (o) producer.set(o, k); }));
  nodes.forEach((n, k) => {
    for (const i of n.input ?? []) {
      if (i && !known.has(i) && !producer.has(i)) fail('SAC006', `input ${quoted(i)} is not produced by any node, initializer or graph input`, atNode(n.name || `#${k}`, n.opType ?? '?'));
    }
  });
  const state = new Uint8Array(nodes.length); // 0 new, 1 on stack, 2 done
  const order: onnx.INodeProto[] = [];
  for (let root = 0; root < nodes.length; root++) {
    if (state[root]) continue;
    // Iterative DFS so deep graphs cannot overflow the JS stack.
    const stack: [number, number][] = [[root, 0]];
    state[root] = 1;
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const ins = nodes[top[0]]!.input ?? [];
      if (top[1] < ins.length) {
        const name = ins[top[1]++]!;
        const p = name && !known.has(name) ? producer.get(name) : undefined;
        if (p === undefined) continue;
        if (state[p] === 1) fail('SAC007', `tensor ${quoted(name)} depends on itself`, atNode(nodes[p]!.name || `#${p}`, nodes[p]!.opType ?? '?'));
        if (state[p] === 0) { state[p] = 1; stack.push([p, 0]); }
      } else {
        state[top[0]] = 2;
        order.push(nodes[top[0]]!);
        stack.pop();
      }
    }
  }
  return order;
}

export interface ImportOptions {
  /** Folder of the model file; external data is only read from inside it. */
  modelDir?: string;
  /** Overrides of DEFAULT_LIMITS. */
  limits?: Partial<Limits>;
}

export function importModel(m: onnx.IModelProto, options: ImportOptions = {}): Graph {
  const limits = resolveLimits(options.limits);
  const src: TensorSource = { ...(options.modelDir ? { modelDir: options.modelDir } : {}), limits, folded: { elements: 0 } };
  const opset = modelOpset(m);
  checkCustomOpset(m);
  const g = m.graph!;
  const unsupported = unsupportedOps(g);
  if (unsupported.length) {
    const why = (op: string) => `${capped(escapeText(op), MAX_QUOTED)}${OUT_OF_SCOPE[op] ? ` (${OUT_OF_SCOPE[op]})` : ''}`;
    const e = new ShiftaddcError('SAC005', unsupported.map((u) => `${why(u.op)} at node ${quoted(u.node)}`).join(', '));
    // One line names each op type once; check() lists every node (inspect --check).
    e.details = unsupportedNodes(g).map((u) => new ShiftaddcError('SAC005', why(u.op), atNode(u.node, u.op)));
    throw e;
  }
  const b = new GraphBuilder(g.name || 'model', opset);
  const ids = new Map<string, number>();
  for (const init of g.initializer ?? []) {
    const name = init.name ?? '';
    if (ids.has(name)) fail('SAC016', `initializer ${quoted(name)} is defined twice`);
    ids.set(name, b.addConst(name, decodeTensor(init, `initializer ${quoted(name)}`, src)));
  }
  const inputs: number[] = [];
  for (const vi of g.input ?? []) {
    const name = vi.name ?? '';
    if (ids.has(name)) continue; // opset < 9 lists initializers as inputs too
    const id = b.addValue(name, valueInfoType(vi, `input ${quoted(name)}`, limits.maxElements));
    ids.set(name, id);
    inputs.push(id);
  }
  const used = new Set<string>([...(g.node ?? []).flatMap((n) => n.input ?? []), ...(g.output ?? []).map((o) => o.name ?? '')]);
  for (const [k, node] of topoOrder(g, new Set(ids.keys())).entries()) {
    const name = node.name || `${node.opType}_${k}`;
    const inIds = (node.input ?? []).map((i) => (i ? ids.get(i)! : -1));
    const ctx = new ImportContext(b, node, name, opset, inIds, src);
    const outs = outOfMemoryAt({ name, op: { kind: node.opType ?? '?' } }, () => IMPORTERS[importerKey(node)]!(ctx));
    (node.output ?? []).forEach((o, j) => {
      if (!o) return;
      if (ids.has(o)) fail('SAC016', `tensor ${quoted(o)} is produced twice`, ctx.where);
      if (outs[j] === undefined) {
        if (used.has(o)) fail('SAC005', `output ${j} (${quoted(o)}) is not supported`, ctx.where);
        return;
      }
      ids.set(o, outs[j]!);
    });
  }
  const outputs = (g.output ?? []).map((o) => {
    const id = ids.get(o.name ?? '');
    if (id === undefined) fail('SAC006', `graph output ${quoted(o.name ?? '')} is never produced`);
    return id;
  });
  return b.finish(inputs, outputs);
}

export function isDiagnostic(e: unknown): e is ShiftaddcError {
  return e instanceof ShiftaddcError;
}
