// The backend registry: the targets `compile --target` and `run`/`eval --backend` select, their options, and emit().
import { fail } from '../diagnostics.js';
import type { Graph } from '../ir/graph.js';
import { runInteger } from '../ir/interp-int.js';
import { cBackend } from './c/backend.js';
import { hwBackend } from './hw/backend.js';
import { onnxBackend } from './onnx/backend.js';
import { wasmBackend } from './wasm/backend.js';
import type { Backend, BackendOption, EmitResult, IntegerRunner, OptionContext, OptionValues, RunInfo } from './contract.js';

const BACKENDS: readonly Backend[] = [cBackend as Backend, wasmBackend as Backend, hwBackend as Backend, onnxBackend as Backend];

/** The runner used when no backend is named: the integer interpreter (it runs, it emits nothing). */
export const INTERPRETER = 'interp';

/** Every registered backend, in registration order. */
export function backends(): readonly Backend[] {
  return BACKENDS;
}

export function getBackend(name: string): Backend {
  const b = BACKENDS.find((x) => x.name === name);
  if (!b) fail('SAC040', `unknown target '${name}' (backends: ${BACKENDS.map((x) => x.name).join(', ')})`);
  return b;
}

/** The names `--backend` accepts: the interpreter, then every backend with a runner. */
export function runnerNames(): string[] {
  return [INTERPRETER, ...BACKENDS.filter((b) => b.run).map((b) => b.name)];
}

/** Every backend option once (a flag several backends declare is listed once), with the backends declaring it. */
export function backendOptions(use: 'emit' | 'run'): { option: BackendOption; backends: string[] }[] {
  const out: { option: BackendOption; backends: string[] }[] = [];
  for (const b of BACKENDS) {
    for (const o of b.options) {
      if (o.use !== 'both' && o.use !== use) continue;
      const seen = out.find((x) => x.option.key === o.key);
      if (seen) seen.backends.push(b.name);
      else out.push({ option: o, backends: [b.name] });
    }
  }
  return out;
}

/**
 * The values of the backend options a command line gave, refusing (SAC040) one that the selected backend
 * (none: `selected` undefined) does not declare for this use: an option of another target is never ignored.
 */
export function selectOptions(given: OptionValues, selected: Backend | undefined, use: 'emit' | 'run'): OptionValues {
  const flag = use === 'emit' ? '--target' : '--backend';
  const out: Record<string, string | undefined> = {};
  for (const { option, backends: owners } of backendOptions(use)) {
    const v = given[option.key];
    if (v === undefined) continue;
    const mine = selected?.options.some((o) => o.key === option.key && (o.use === 'both' || o.use === use));
    const name = option.flag.split(' ')[0];
    if (!mine) fail('SAC040', `${name} is an option of ${flag} ${owners.join('|')}, which is not selected`, undefined, `add ${flag} ${owners[0]}`);
    out[option.key] = v;
  }
  return out;
}

/** Prints a lowered graph for a target: the files (not written) and stats; options as on the command line. */
export function emit(g: Graph, target: string, options: OptionValues = {}, ctx: OptionContext = {}): EmitResult {
  const b = getBackend(target);
  return b.emit(g, b.parseOptions(options, ctx));
}

/**
 * The integer executor `--backend name` selects: the interpreter, or the backend's runner with its parsed
 * options (checked now, so e.g. a missing compiler is reported before seconds of conversion).
 */
export function integerRunner(name: string, options: OptionValues, ctx: OptionContext, onInfo?: (info: RunInfo) => void): IntegerRunner {
  if (name === INTERPRETER) {
    selectOptions(options, undefined, 'run');
    return runInteger;
  }
  const b = BACKENDS.find((x) => x.name === name && x.run);
  if (!b) fail('SAC040', `--backend must be ${runnerNames().join(' or ')} (got '${name}')`);
  const o = b.parseOptions(selectOptions(options, b, 'run'), ctx);
  b.checkRun?.(o);
  return (g, q) => b.run!(g, q, o, onInfo);
}
