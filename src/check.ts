// check(): every node of a model that compile cannot convert and why, from the float graph alone (no calibration).
import { loadModel } from './api.js';
import { modelFindings, type Found } from './compile-checks.js';
import { ShiftaddcError, type DiagnosticCode } from './diagnostics.js';
import type { Limits } from './frontend/limits.js';
import type { Graph } from './ir/graph.js';
import { passContext, type ConversionOptions } from './passes/context.js';

/** One reason a model cannot be converted. */
export interface Finding {
  code: DiagnosticCode;
  /** The node as the model names it (exact: escaped only in `line`) and its op; absent for a model-level finding. */
  node?: string;
  op?: string;
  /** What is wrong and what to do, escaped for a terminal. */
  message: string;
  hint: string;
  /** The one-line diagnostic the CLI prints (`error SAC052: ... (at node 'x' (Op)); hint`). */
  line: string;
}

export interface CheckResult {
  model: string;
  /** Nodes of the graph lowering would see (after the data-free rewrites: folds, fusions, dropped Softmax). */
  nodes: number;
  ok: boolean;
  findings: Finding[];
}

/** Options that change what lowers (e.g. `actBits: 16` has no lookup tables); calibration is never read. */
export interface CheckOptions extends Omit<ConversionOptions, 'calibration'> {
  limits?: Partial<Limits>;
}

/** Load errors that are about what the model holds (unsupported ops or dtypes), not about reading the file. */
const MODEL_CONTENT: ReadonlySet<DiagnosticCode> = new Set(['SAC005', 'SAC015']);

function finding(f: Found): Finding {
  const e = f.error;
  return { code: e.code, ...(f.node ? { node: f.node.name, op: f.node.op.kind } : {}), message: e.message, hint: e.hint, line: e.format() };
}

/**
 * Everything `compile` would refuse before it converts anything, all of it at once: ops the importer does not
 * know, parameters computed at run time, non-finite constants, and every node lower-to-shift has no rule for or
 * whose rule refuses it (the same rules lowering runs: passes/lower-rules.ts). Returns the findings, never prints.
 * Compile can still fail later on what only calibration decides (e.g. a gate whose scale is too far from its input's).
 */
export function check(model: Graph | Uint8Array | string, options: CheckOptions = {}): CheckResult {
  const { limits, ...conversion } = options;
  const ctx = passContext(conversion);
  let g: Graph;
  try {
    g = typeof model === 'string' || model instanceof Uint8Array ? loadModel(model, limits ? { limits } : {}) : model;
  } catch (e) {
    if (!(e instanceof ShiftaddcError) || !MODEL_CONTENT.has(e.code)) throw e;
    return { model: typeof model === 'string' ? model : 'model', nodes: 0, ok: false, findings: (e.details ?? e.findings).map((error) => finding({ error })) };
  }
  const { prepared, found } = modelFindings(g, ctx);
  return { model: g.name, nodes: (prepared ?? g).nodes.length, ok: found.length === 0, findings: found.map(finding) };
}
