// The backend contract: a target prints a lowered integer graph as named files plus stats, and may run it.
import type { Graph } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';

/**
 * One backend option, declared by the backend so the CLI can offer it (flag, help, default) without knowing
 * the target; the backend's `parseOptions` turns the string the user gave into its typed option.
 */
export interface BackendOption {
  /** Its key in the values record: the camelCase of the flag's long name (`--weights <form>` -> `weights`). */
  key: string;
  /** Commander flag syntax, e.g. `--weights <form>`. */
  flag: string;
  description: string;
  /** Shown in --help; applied by `parseOptions` (the CLI passes undefined for an option not given). */
  default?: string;
  /** Where it applies: `emit` (compile --target), `run` (run/eval --backend) or `both`. */
  use: 'emit' | 'run' | 'both';
}

/** Option values as strings, keyed by BackendOption.key; undefined = not given. */
export type OptionValues = Readonly<Record<string, string | undefined>>;

/** Context for option defaults: the model file the graph came from (a default name), the calibration file given. */
export interface OptionContext { model?: string; calibration?: string }

/** Executes a lowered graph on integer inputs: runInteger (the spec), or a backend that must match it bit for bit. */
export type IntegerRunner = (g: Graph, inputs: readonly Tensor[]) => Tensor[];

/** Emission progress: the stage (e.g. `emit c`), nodes done of total, and the node being printed (same shape as compile's). */
export type EmitProgress = (stage: string, done: number, total: number, node?: string) => void;

/** A generated file: its name (no folder) and contents. */
export interface EmitFile { name: string; data: string | Uint8Array }

/** What a backend measured of its output, from the memory plan and the packed weight streams. */
export interface BackendStats {
  /** Working memory: planned arena bytes, the liveness lower bound, and the no-reuse total. */
  memory: { arenaBytes: number; lowerBound: number; naiveBytes: number };
  /** Weight streams and tables in read-only memory, and their ideal (1 + B) bits per stored term. */
  weightBytes: number;
  idealBytes: number;
  /** Biases, requantisation shifts and channel gains. */
  paramBytes: number;
  /** Non-zero shift-add terms, and how many of them are program code rather than stream data. */
  terms: number;
  codeTerms: number;
  /** Graph nodes that became code (aliasing nodes such as Reshape need none). */
  ops: number;
  /** The C backend's size figures: exact table bytes and arena, and the cross compiler's measure (docs/c-weights.md). */
  size?: import('./c/size.js').CSize;
  /** The C backend's --ram-budget plan: tiled layers and their recompute (docs/c-tiling.md). */
  tiling?: {
    budget: number; untiledArenaBytes: number; extraWork: number; unpacked: boolean;
    segments: { nodes: string[]; sink: string; tiles: number; patch: [number, number]; size: [number, number]; arenaBytes: number; extraWork: number }[];
  };
}

export interface EmitResult {
  files: EmitFile[];
  stats: BackendStats;
  /** One line (no newline) summarising the output for the command line. */
  summary: string;
}

/** What a runner says about one run: a line for `run`, a phrase for `eval`'s text and an object for its JSON. */
export interface RunInfo { line: string; label: string; json: Record<string, unknown> }

export interface Backend<O = unknown> {
  /** The name `--target` and `--backend` select. */
  readonly name: string;
  /** One phrase for --help: what it emits. */
  readonly description: string;
  readonly options: readonly BackendOption[];
  /** Typed options from string values, with defaults; bad values are fail('SAC040'). */
  parseOptions(values: OptionValues, ctx: OptionContext): O;
  /**
   * Conversion default of `compile --target NAME` when neither --terms nor --avg-terms is given: the term
   * budget its weight forms were measured best at (the C backend: smaller and faster than int8, same top-1).
   */
  readonly defaultAvgTerms?: number;
  /** Prints the graph; writes nothing. `onProgress` (optional) hears per node which one is being printed. */
  emit(g: Graph, options: O, onProgress?: EmitProgress): EmitResult;
  /** Optional runner: the same tensors as runInteger(g, inputs), computed by this backend's output. */
  run?(g: Graph, inputs: readonly Tensor[], options: O, onInfo?: (info: RunInfo) => void): Tensor[];
  /** With `run`: one phrase for --help, and a check that it can run (e.g. a toolchain), made before converting. */
  readonly runDescription?: string;
  checkRun?(options: O): void;
}
