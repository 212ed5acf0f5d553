// Diagnostic catalog: every user-facing error has a stable code, a one-line message and a hint.

/** The catalog: code -> what went wrong in general and what the user should do. */
export const DIAGNOSTICS = {
  SAC001: { title: 'file not found', hint: 'check the path' },
  SAC002: { title: 'file is empty', hint: 'pass a non-empty file' },
  SAC003: { title: 'not a valid ONNX model', hint: 'the file is truncated or not an ONNX ModelProto; re-export it' },
  SAC004: { title: 'unsupported opset', hint: 'export with an ONNX opset between 6 and 21' },
  SAC005: { title: 'unsupported operators', hint: 'replace these ops in the source model or file an issue' },
  SAC006: { title: 'missing value', hint: 'the model references a tensor that no initializer, input or node provides; re-export it' },
  SAC007: { title: 'graph has a cycle', hint: 'the model is malformed; re-export it' },
  SAC008: { title: 'invalid tensor data', hint: 'the tensor bytes do not match its declared type and shape; re-export the model' },
  SAC009: { title: 'tensor too large', hint: 'a declared dimension or size exceeds the limit; check the model' },
  SAC010: { title: 'external data outside the model folder', hint: 'external data must be a relative path inside the model folder' },
  SAC011: { title: 'external data missing', hint: 'place the external data file next to the model' },
  SAC012: { title: 'invalid attribute', hint: 'the node has an attribute value this op does not accept' },
  SAC013: { title: 'shape mismatch', hint: 'the node inputs have incompatible shapes' },
  SAC014: { title: 'non-constant parameter', hint: 'this input must be a constant (initializer or foldable) for static compilation' },
  SAC015: { title: 'unsupported dtype', hint: 'only float32 models (with integer shape tensors) are supported' },
  SAC016: { title: 'duplicate value name', hint: 'the model defines a tensor twice; re-export it' },
  SAC017: { title: 'non-finite number', hint: 'a weight or activation is NaN or +-Inf (or overflows float32); check the model and its calibration data' },
  SAC018: { title: 'invalid model field', hint: 'the model header or a declared shape is invalid; re-export it with a current ONNX exporter' },
  SAC019: { title: 'not a regular file', hint: 'pass a regular file (not a directory, FIFO or device) within the size limit' },
  SAC020: { title: 'invalid .npy file', hint: 'write the array with numpy.save' },
  SAC021: { title: 'input does not match the model', hint: 'check the shape and dtype the model expects (shiftaddc inspect)' },
  SAC022: { title: 'wrong number of inputs', hint: 'pass one --input per model input' },
  SAC023: { title: 'non-finite input data', hint: 'remove or fix the samples holding NaN or +-Inf' },
  SAC024: { title: 'invalid labels', hint: 'labels must be one integer class index per sample, 0 <= label < number of classes' },
  SAC025: { title: 'out of memory', hint: 'the tensor or working set could not be allocated; use a smaller model or batch, or raise the limits' },
  SAC030: { title: 'IR verification failed', hint: 'this is a compiler bug; rerun with --debug and report it' },
  SAC031: { title: 'IR parse error', hint: 'fix the textual IR at the given line' },
  SAC052: { title: 'cannot lower to shift-add', hint: 'this op or configuration has no multiplication-free form yet; see docs/numerics.md' },
  SAC040: { title: 'invalid option', hint: 'see shiftaddc --help' },
  SAC042: { title: 'calibration data required', hint: 'pass --calibrate calib.npy (a few hundred representative inputs)' },
  SAC041: { title: 'cannot write output', hint: 'check that the output folder exists and is writable' },
  SAC043: { title: 'invalid command line', hint: 'see shiftaddc --help' },
  SAC050: { title: 'accumulator may overflow', hint: 'reduce --shift-bits or split the layer' },
  SAC051: { title: 'graph is not fully lowered', hint: 'this is a compiler bug: a float op survived lowering; rerun with --debug and report it' },
  SAC060: { title: 'no backend kernel for this node', hint: 'every backend implements the lowered dialect (docs/ir.md); this is a compiler bug: rerun with --debug and report it' },
  SAC061: { title: 'no host C compiler', hint: 'install gcc or clang, or set CC to a C99 compiler' },
  SAC062: { title: 'C build failed', hint: 'the generated C should always build: check CC, then rerun with --debug and report it with the build log' },
  SAC063: { title: 'C binary failed', hint: 'the generated program should not fail: rerun with --debug and report it' },
  SAC064: { title: 'cannot use the build cache', hint: 'set SHIFTADDC_CACHE to a writable folder' },
  SAC065: { title: 'model too large for the C backend', hint: 'prune the model or use a backend that stores weights as binary data' },
  SAC066: { title: 'RAM budget cannot be met', hint: 'raise --ram-budget to the smallest budget named, or prune the model\'s early layers' },
} as const;

export type DiagnosticCode = keyof typeof DIAGNOSTICS;

/** The one error type the library throws; the CLI prints `format()` and exits 1. */
export class ShiftaddcError extends Error {
  readonly code: DiagnosticCode;
  readonly where: string | undefined;
  readonly hint: string;

  constructor(code: DiagnosticCode, detail: string, where?: string, hint?: string) {
    const entry = DIAGNOSTICS[code];
    // Escaped here, centrally: details and places quote model strings (names, op types, domains).
    super(`${entry.title}: ${capped(escapeText(detail), MAX_DETAIL)}`);
    this.name = 'ShiftaddcError';
    this.code = code;
    this.where = where === undefined ? undefined : capped(escapeText(where), MAX_WHERE);
    this.hint = escapeText(hint ?? entry.hint);
  }

  /** One line: `error SAC005: unsupported operators: ... (at node 'x'); hint`. */
  format(): string {
    const where = this.where ? ` (at ${oneLine(this.where)})` : '';
    return `error ${this.code}: ${oneLine(this.message)}${where}; ${this.hint}`;
  }

  /** Every diagnostic one check found, this one first, when it found several at once (failAll); else just this one. */
  get findings(): readonly ShiftaddcError[] {
    return this.all ?? [this];
  }

  private all: readonly ShiftaddcError[] | undefined;

  /** The per-node diagnostics a one-line summary stands for (every node of an unsupported op), which check() lists. */
  details: readonly ShiftaddcError[] | undefined;

  /** Throws the first of `errors` carrying all of them (the CLI prints one line each); returns when there are none. */
  static throwAll(errors: readonly ShiftaddcError[]): void {
    const first = errors[0];
    if (!first) return;
    first.all = errors;
    throw first;
  }
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** Longest model string quoted in a diagnostic, and longest detail / place (a 1 MB node name stays one short line). */
export const MAX_QUOTED = 80;
const MAX_DETAIL = 600;
const MAX_WHERE = 300;

/**
 * Makes text from a model safe for a terminal: C0/C1 controls (ESC, so ANSI/OSC sequences), DEL, and the
 * bidi/zero-width format characters become visible \xNN / \u{NNNN} escapes; a backslash is kept as is.
 */
export function escapeText(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g, (c) => {
    const n = c.charCodeAt(0);
    return n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u{${n.toString(16)}}`;
  }).replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\\u{fffd}');
}

/** Caps a string with an ellipsis, keeping its start and end. */
export function capped(s: string, max: number): string {
  if (s.length <= max) return s;
  const head = Math.ceil((max - 1) * 0.75);
  return `${s.slice(0, head)}…${s.slice(s.length - (max - 1 - head))}`;
}

/** A model string as any output shows it (tables, reports, CLI lines): escaped and capped, no quotes. */
export function printable(s: string, max = MAX_QUOTED): string {
  return capped(escapeText(s), max);
}

/** A model string as diagnostics quote it: escaped and capped. */
export function quoted(s: string): string {
  return `'${capped(escapeText(s), MAX_QUOTED)}'`;
}

/** Throws a diagnostic; a function so expressions like `x ?? fail(...)` work. */
export function fail(code: DiagnosticCode, detail: string, where?: string, hint?: string): never {
  throw new ShiftaddcError(code, detail, where, hint);
}

/** Node location string used in diagnostics. */
export function atNode(name: string, opType?: string): string {
  return opType ? `node ${quoted(name)} (${capped(escapeText(opType), MAX_QUOTED)})` : `node ${quoted(name)}`;
}
