// Conversion options shared by `compile`, `run --stage shift` and `eval` (mapped to CompileOptions), and the backend options.
import type { Command } from 'commander';
import { readInputFile } from './api.js';
import { resolveLimits, type Limits } from './util/limits.js';
import type { CompileOptions } from './compile.js';
import type { OptionValues } from './backends/contract.js';
import { backendOptions, backends, INTERPRETER } from './backends/registry.js';
import { fail, printable } from './diagnostics.js';
import { readNpy } from './io/npy.js';

export interface ConversionFlags {
  calibrate?: string;
  terms?: string;
  shiftBits?: string;
  actBits?: string;
  avgTerms?: string;
  prune?: string;
  pruneChannels?: string;
  recover?: boolean;
  channelGain?: boolean;
  channelFracs?: boolean;
  verifyEach?: boolean;
  printIrAfter?: string;
  mode?: string;
  pairAll?: boolean;
}

export function addConversionOptions(cmd: Command): Command {
  return cmd
    .option('--calibrate <file>', 'calibration inputs (.npy, a few hundred samples)')
    .option('--terms <K>', 'power-of-two terms per weight, 1..4', '2')
    .option('--shift-bits <B>', 'exponent window bits per channel (2^B exponents)', '4')
    .option('--act-bits <bits>', 'activation width: 8 or 16', '8')
    .option('--avg-terms <A>', 'average terms per weight budget (e.g. 1.5)')
    .option('--prune <R>', 'global magnitude sparsity 0..1')
    .option('--prune-channels <R>', 'structured channel pruning ratio 0..1')
    .option('--no-recover', 'turn off label-free recovery (to measure its effect)')
    .option('--no-channel-gain', 'no per-channel shift-add gain (recovery fits one by default)')
    .option('--no-channel-fracs', 'one activation frac per tensor (by default a tensor feeding only weight layers gets one per channel)')
    .option('--mode <mode>', 'shift (shift-add layers) or shiftadd (ShiftAddNet pairs: shift conv -> adder conv, fitted label-free)')
    .option('--pair-all', 'with --mode shiftadd: pair the stem and classifier convolutions too')
    .option('--verify-each', 'run the IR verifier after every pass')
    .option('--print-ir-after <pass>', 'print the textual IR after a pass');
}

function num(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) fail('SAC040', `${flag} expects a number, got '${v}'`);
  return n;
}

export function toCompileOptions(f: ConversionFlags, onIr: (pass: string, text: string) => void, onProgress?: CompileOptions['onProgress'], limits: Partial<Limits> = {}): CompileOptions {
  if (!f.calibrate) fail('SAC042', 'the shift-add stage needs calibration inputs');
  const calibration = [readNpy(readInputFile(f.calibrate, 'calibration file', resolveLimits(limits).maxFileBytes), `calibration '${f.calibrate}'`)];
  const actBits = num(f.actBits, '--act-bits');
  const o: CompileOptions = {
    calibration,
    terms: num(f.terms, '--terms'),
    shiftBits: num(f.shiftBits, '--shift-bits'),
    actBits: actBits as 8 | 16 | undefined,
    avgTerms: num(f.avgTerms, '--avg-terms'),
    prune: num(f.prune, '--prune'),
    pruneChannels: num(f.pruneChannels, '--prune-channels'),
    recover: f.recover !== false,
    channelGain: f.channelGain !== false,
    channelFracs: f.channelFracs !== false,
    verifyEach: Boolean(f.verifyEach),
    printIrAfter: f.printIrAfter,
    ...(f.mode !== undefined ? { mode: f.mode as 'shift' | 'shiftadd' } : {}),
    ...(f.pairAll ? { pairAll: true } : {}),
    onIr,
    limits,
  };
  if (onProgress) o.onProgress = onProgress;
  return o;
}

/**
 * Progress of long compiles (the library only calls back; drawing is the CLI's job): on a TTY one line redrawn
 * at most 10 times a second, else (CI logs) a plain line every `everyMs`. Both show the stage (and the layer being
 * recovered), the fraction of nodes lowered and an estimate of the time left from the lowering rate so far.
 */
export function ttyProgress(everyMs = 15_000, write: (s: string) => void = (s) => process.stderr.write(s), tty = Boolean(process.stderr.isTTY)): CompileOptions['onProgress'] {
  const t0 = Date.now();
  let last = tty ? 0 : t0;
  let lowered = { done: 0, total: 0, since: t0 };
  return (stage, done, total) => {
    const now = Date.now();
    if (stage === 'lower') {
      if (done === 0 || done < lowered.done) lowered = { done, total, since: now };
      else lowered = { ...lowered, done, total };
    }
    const finished = stage === 'lower' && done >= total;
    if (!finished && now - last < (tty ? 100 : everyMs)) return;
    last = now;
    if (finished) { if (tty) write('\r\x1b[K'); return; }
    const rate = lowered.done > 0 ? (now - lowered.since) / lowered.done : 0;
    const left = rate && lowered.total > lowered.done ? `, ~${Math.ceil((rate * (lowered.total - lowered.done)) / 1000)} s left` : '';
    const nodes = lowered.total ? ` (nodes ${lowered.done}/${lowered.total}${left})` : '';
    const line = `${printable(stage)} ${done}/${total}${nodes}, ${Math.round((now - t0) / 1000)} s`;
    write(tty ? `\r\x1b[K${line}` : `shiftaddc: ${line}\n`);
  };
}

/** `--backend`: the interpreter or any registered backend with a runner, described by the registry. */
export function addBackendOption(cmd: Command): Command {
  const runners = backends().filter((b) => b.run).map((b) => `, ${b.name} (${b.runDescription ?? b.description})`).join('');
  return cmd.option('--backend <backend>', `shift-add executor: ${INTERPRETER} (integer interpreter)${runners}`, INTERPRETER);
}

/**
 * The options the registered backends declare for `use` (each flag once). No commander default: an option
 * not given stays undefined, so one given for a target that is not selected can be refused (selectOptions).
 */
export function addTargetOptions(cmd: Command, use: 'emit' | 'run'): Command {
  for (const { option, backends: owners } of backendOptions(use)) {
    const dflt = option.default === undefined ? '' : ` (default: ${option.default})`;
    cmd.option(option.flag, `${option.description}${dflt} [${use === 'emit' ? '--target' : '--backend'} ${owners.join('|')}]`);
  }
  return cmd;
}

/** The backend option values in commander's parsed options (undefined: not given). */
export function targetValues(opts: object, use: 'emit' | 'run'): OptionValues {
  const out: Record<string, string | undefined> = {};
  for (const { option } of backendOptions(use)) {
    const v = (opts as Record<string, unknown>)[option.key];
    if (typeof v === 'string') out[option.key] = v;
    // A negated flag (--no-measure-size) given: commander's false; its default true counts as not given.
    else if (v === false) out[option.key] = 'false';
  }
  return out;
}
