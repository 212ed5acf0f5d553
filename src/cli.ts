// The shiftaddc command line: parses options, calls the library, prints results and diagnostics.
import { Command, CommanderError } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadModel, readInputFile, runFloat } from './api.js';
import { DEFAULT_LIMITS, resolveLimits, type Limits } from './util/limits.js';
import { withMarks } from './cli-marks.js';
import { addBackendOption, addConversionOptions, addTargetOptions, targetValues, toCompileOptions, ttyProgress, type ConversionFlags } from './cli-options.js';
import { checkOutputFile, OutputTransaction } from './cli-output.js';
import { runCommand, usageError, writeFileAtomic } from './cli-util.js';
import type { RunInfo } from './backends/contract.js';
import { backends, getBackend, integerRunner, INTERPRETER, selectOptions } from './backends/registry.js';
import { compile } from './compile.js';
import { fail, printable, quoted } from './diagnostics.js';
import { evaluate, runShift } from './eval.js';
import { DEFAULT_ELIDE_OVER, printGraph } from './ir/printer.js';
import type { Graph } from './ir/graph.js';
import { reportMarkdown } from './report-md.js';
import { sizeMarkdown, targetMarkdown } from './report-target.js';
import { formatCount } from './format-count.js';
import { formatEnergy, formatInspect, inspect } from './inspect.js';
import { check } from './check.js';
import { readNpy, writeNpy } from './io/npy.js';
import { formatType, numel, type Tensor } from './ir/tensor.js';

const collect = (v: string, prev: string[]) => [...prev, v];

function argmaxRows(t: Tensor): number[] {
  if (t.shape.length !== 2) return [];
  const [n, c] = t.shape as [number, number];
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < c; j++) if (t.data[i * c + j]! > t.data[i * c + best]!) best = j;
    out.push(best);
  }
  return out;
}

/**
 * The package version, from the package.json one folder above this module: src/cli.ts, tsc's dist/cli.js and the
 * bundled dist/shiftaddc.mjs all sit one level below the package root.
 */
function packageVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('shiftaddc')
    .description('Compile ONNX CNNs into multiplication-free shift-add networks')
    .version(packageVersion(), '-V, --version', 'print the version')
    .option('--debug', 'show stack traces for errors')
    .option('--quiet', 'no progress lines on stderr (long compiles print one every 15 s when stderr is not a terminal)')
    .option('--max-elements <n>', `largest tensor in elements a model may declare or produce (default ${DEFAULT_LIMITS.maxElements}; docs/limits.md)`)
    .option('--max-folded-elements <n>', `elements constant folding may create in one model (default ${DEFAULT_LIMITS.maxFoldedElements})`)
    .option('--max-file-bytes <n>', `largest model, external data or .npy file read (default ${DEFAULT_LIMITS.maxFileBytes})`)
    .exitOverride()
    // Usage errors become one diagnostic line (main() below); help and version still print as usual.
    .configureOutput({ outputError: () => {} });
  const debug = () => Boolean(program.opts().debug);
  // Marked either way: the CLI entry names the last stage and node when the compile runs out of memory.
  const progress = () => withMarks(program.opts().quiet ? undefined : ttyProgress());
  // Size limits (docs/limits.md), checked before anything is allocated; the global flags override them.
  const limits = () => cliLimits(program.opts());
  const load = (model: string) => loadModel(model, { limits: limits() });
  const readNpyFile = (file: string, what: string) => readNpy(readInputFile(file, what, resolveLimits(limits()).maxFileBytes), `${what} '${file}'`);

  program.command('inspect')
    .description('summarise a model per layer: op, output shape, parameters, MACs')
    .argument('<model>', 'ONNX model file')
    .option('--json', 'print JSON instead of a table')
    .option('--energy', 'energy per inference: FP32 MAC, INT8 MAC and an estimated shift-add version (45 nm)')
    .option('--check', 'name every node compile cannot convert and why (no calibration); exit 1 if any')
    .option('--act-bits <bits>', 'with --check: the activation width compile would use, 8 or 16', '8')
    .action(async (model: string, opts: { json?: boolean; energy?: boolean; check?: boolean; actBits: string }) => {
      setExit(await runCommand(debug(), () => {
        if (opts.check) return checkCommand(model, opts, limits());
        if (opts.energy) return void process.stdout.write(`${formatEnergy(load(model), Boolean(opts.json))}\n`);
        const report = inspect(load(model));
        process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatInspect(report)}\n`);
      }));
    });

  const printIr = (pass: string, text: string) => process.stdout.write(`// IR after ${pass}\n${text}`);

  addTargetOptions(addConversionOptions(program.command('compile')
    .description('convert a float model to a multiplication-free shift-add network')
    .argument('<model>', 'ONNX model file')
    .requiredOption('-o, --out <dir>', 'output folder (created if missing)')
    .option('--target <target>', `also emit code for a target: ${backends().map((b) => `${b.name} (${b.description})`).join(', ')}`)
    .option('--emit-ir [full]', `also write the shift-add IR text (NAME.shift.ir), constants over ${DEFAULT_ELIDE_OVER} elements elided as crc32; --emit-ir=full prints every constant (parseable)`)), 'emit')
    .action(async (model: string, flags: ConversionFlags & { out: string; target?: string; emitIr?: boolean | string }, cmd: Command) => {
      setExit(await runCommand(debug(), () => {
        // The output folder, the target and its options are checked before seconds of conversion.
        const outputs = new OutputTransaction(flags.out);
        const target = flags.target === undefined ? undefined : getBackend(flags.target);
        // A target's own term budget applies when the command line sets none (--terms 2 is commander's default).
        const own = target?.defaultAvgTerms !== undefined && cmd.getOptionValueSource('terms') === 'default' && flags.avgTerms === undefined;
        const opts = own ? { ...flags, avgTerms: String(target.defaultAvgTerms) } : flags;
        const values = selectOptions(targetValues(opts, 'emit'), target, 'emit');
        const targetOptions = target?.parseOptions(values, { model, ...(opts.calibrate ? { calibration: opts.calibrate } : {}) });
        const irMode = emitIrMode(opts.emitIr);
        const result = compile(load(model), toCompileOptions(opts, printIr, progress(), limits()));
        const name = path.basename(model).replace(/\.onnx$/i, '');
        const ir = `${name}.shift.ir`;
        if (irMode) outputs.add(ir, printIrText(result.graph, irMode, ir));
        else outputs.drop(ir);
        const emitted = target?.emit(result.graph, targetOptions, withMarks(undefined));
        // The size figures (C: exact table bytes, measured flash and stack) and, with a --ram-budget plan, what was tiled.
        const size = emitted?.stats.size;
        const planned = emitted?.stats.tiling && target ? { name: target.name, stats: emitted.stats } : undefined;
        const base = size ? { ...result.report, size } : result.report;
        const report = planned ? { ...base, target: { name: planned.name, ...planned.stats } } : base;
        outputs.add('report.json', `${JSON.stringify(report, null, 2)}\n`);
        outputs.add('report.md', reportMarkdown(result.report, name) + (size ? sizeMarkdown(size) : '') + (planned ? targetMarkdown(planned.name, planned.stats) : ''));
        for (const f of emitted?.files ?? []) outputs.add(f.name, f.data);
        // Every file appears at once, after everything above succeeded: a failure leaves the previous outputs.
        outputs.commit();
        if (emitted) process.stdout.write(`${emitted.summary}\n`);
        // What the compile changed beyond the conversion itself (also in report.json/report.md notes).
        for (const n of result.report.notes) process.stdout.write(`note: ${printable(n, 2000)}\n`);
        const t = result.report.totals;
        const ad = result.report.adderLayers;
        const adder = ad ? ` + ${ad.length} adder layers (${formatCount(ad.reduce((s, l) => s + l.subs, 0))} subtractions, ${formatCount(ad.reduce((s, l) => s + l.abs, 0))} absolute values, ${formatCount(ad.reduce((s, l) => s + l.adds, 0))} adds)` : '';
        process.stdout.write(`${name}: ${result.report.layers.length} shift-add layers, ${formatCount(t.shifts)} shifts + ${formatCount(t.adds)} adds${adder}, ${t.multiplies} multiplies; weight terms ${t.weightBytes} bytes at (1 + B) bits (int8 ${t.int8WeightBytes}); ${result.report.seconds.toFixed(2)} s -> ${opts.out}\n`);
      }));
    });

  // A runner's line (e.g. which binary ran, whether the cache answered) goes to stdout.
  const printRun = (i: RunInfo) => process.stdout.write(`${i.line}\n`);

  addTargetOptions(addBackendOption(addConversionOptions(program.command('run')
    .description('run inference on .npy inputs and write .npy outputs (float, or shift-add on the interpreter or a backend\'s output)')
    .argument('<model>', 'ONNX model file')
    .requiredOption('--input <file>', '.npy input (repeat for several model inputs)', collect, [])
    .option('--output <file>', '.npy output (repeat for several model outputs)', collect, [])
    .option('--stage <stage>', 'float (reference) or shift (shift-add network on --backend, dequantised outputs)', 'float'))), 'run')
    .action(async (model: string, opts: ConversionFlags & { input: string[]; output: string[]; stage: string; backend: string }) => {
      setExit(await runCommand(debug(), () => {
        if (opts.stage !== 'float' && opts.stage !== 'shift') fail('SAC040', `--stage must be float or shift (got '${opts.stage}')`);
        const backend = opts.backend;
        if (backend !== INTERPRETER && opts.stage === 'float') fail('SAC040', `--backend ${backend} runs the shift-add network, the float stage has no ${backend} code`, undefined, 'add --stage shift --calibrate calib.npy');
        const run = integerRunner(backend, targetValues(opts, 'run'), { model }, printRun);
        const outFiles = opts.output.map((f) => checkOutputFile(f, '--output'));
        const graph = load(model);
        const inputs = opts.input.map((f) => readNpyFile(f, 'input'));
        if (opts.output.length > graph.outputs.length) fail('SAC040', `${opts.output.length} --output files for ${graph.outputs.length} model output(s)`);
        const outs = opts.stage === 'float' ? runFloat(graph, inputs, { limits: limits() }) : runShift(compile(graph, toCompileOptions(opts, printIr, progress(), limits())), inputs, run);
        outs.forEach((t, k) => {
          const file = outFiles[k];
          if (file) writeFileAtomic(file, writeNpy(t));
          const top = argmaxRows(t);
          const name = graph.values[graph.outputs[k]!]!.name;
          process.stdout.write(`${printable(name)}: ${formatType(t)}${file ? ` -> ${opts.output[k]}` : ''}${top.length ? `; top-1 per sample: ${top.join(' ')}` : ''}\n`);
        });
      }));
    });

  addTargetOptions(addBackendOption(addConversionOptions(program.command('eval')
    .description('float vs shift-add top-1 accuracy on labelled data (shift-add on --backend), agreement and per-layer SQNR')
    .argument('<model>', 'ONNX model file')
    .requiredOption('--data <file>', 'inputs (.npy)')
    .requiredOption('--labels <file>', 'integer class labels (.npy)')
    .option('--json', 'print one JSON object'))), 'run')
    .action(async (model: string, opts: ConversionFlags & { data: string; labels: string; json?: boolean; backend: string }) => {
      setExit(await runCommand(debug(), () => {
        const backend = opts.backend;
        let info: RunInfo | undefined;
        const run = integerRunner(backend, targetValues(opts, 'run'), { model }, (i) => { info = i; });
        const data = readNpyFile(opts.data, 'data');
        const labels = readNpyFile(opts.labels, 'labels');
        const source = load(model);
        const result = compile(source, toCompileOptions(opts, printIr, progress(), limits()));
        const ev = evaluate(result, data, labels, run, source);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ ...ev, backend, ...(info ? { [backend]: info.json } : {}), compileSeconds: result.report.seconds, options: result.report.options }, null, 2)}\n`);
          return;
        }
        const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
        process.stdout.write([
          `samples ${ev.samples}`,
          ...(ev.original ? [`original top-1 ${pct(ev.original.top1)}  (the model as given; shift-add drop against it ${(100 * ev.original.drop).toFixed(2)} points)`] : []),
          `float top-1   ${pct(ev.float.top1)}${ev.original ? (result.report.options.mode === 'shiftadd' ? '  (the paired float network)' : '  (after pruning)') : ''}`,
          `shift top-1   ${pct(ev.shift.top1)}  (drop ${(100 * ev.drop).toFixed(2)} points; ${info ? info.label : 'integer interpreter'})`,
          `top-1 agreement ${pct(ev.agreement)}`,
          'per-layer SQNR (calibration set):',
          ...ev.layers.map((l) => `  ${printable(l.name).padEnd(24)} ${printable(l.op).padEnd(10)} ${String(l.sqnrDb).padStart(7)} dB  ${l.termsPerWeight.toFixed(2)} terms/weight`),
        ].join('\n') + '\n');
      }));
    });

  return program;
}

/** `--emit-ir` (elided constants) or `--emit-ir=full`; undefined when not given. */
function emitIrMode(v: boolean | string | undefined): 'elided' | 'full' | undefined {
  if (v === undefined || v === false) return undefined;
  if (v === true) return 'elided';
  if (v === 'full') return 'full';
  return fail('SAC040', `--emit-ir takes no value or =full (got '${printable(v)}')`, undefined, 'write --emit-ir or --emit-ir=full, e.g. after the model file');
}

/** Largest constant `--emit-ir=full` prints inline: past it the text nears V8's string limit (light/zfnet512's codes). */
const MAX_INLINE_ELEMENTS = 2 ** 24;

/** The IR text of a compiled graph: constants over DEFAULT_ELIDE_OVER elements elided, or all inline (parseable). */
function printIrText(g: Graph, mode: 'elided' | 'full', file: string): string {
  if (mode === 'elided') return printGraph(g);
  const big = g.values.find((v) => v.data && numel(v.type.shape) > MAX_INLINE_ELEMENTS);
  if (big) fail('SAC041', `${file}: constant ${quoted(big.name)} has ${numel(big.type.shape)} elements, too many to print inline (at most ${MAX_INLINE_ELEMENTS})`, undefined, 'use --emit-ir (large constants elided) for this model');
  return printGraph(g, { elideConstantsOver: Infinity });
}

/** `inspect --check`: the findings, one diagnostic line each on stderr (or JSON on stdout); exit 1 when any. */
function checkCommand(model: string, opts: { json?: boolean; actBits: string }, limits: Partial<Limits>): number {
  const actBits = Number(opts.actBits);
  if (actBits !== 8 && actBits !== 16) fail('SAC040', `--act-bits must be 8 or 16 (got '${printable(opts.actBits)}')`);
  const r = check(model, { actBits, limits });
  if (opts.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  else if (r.ok) process.stdout.write(`${printable(r.model)}: every node converts (${r.nodes} nodes after folding; checked without calibration)\n`);
  if (!opts.json) for (const f of r.findings) process.stderr.write(`shiftaddc: ${f.line}\n`);
  return r.ok ? 0 : 1;
}

/** The global size-limit flags as Limits overrides (resolveLimits rejects a value that is not a positive integer). */
function cliLimits(o: { maxElements?: string; maxFoldedElements?: string; maxFileBytes?: string }): Partial<Limits> {
  const out: Partial<Limits> = {};
  for (const [k, v] of [['maxElements', o.maxElements], ['maxFoldedElements', o.maxFoldedElements], ['maxFileBytes', o.maxFileBytes]] as const) {
    if (v !== undefined) out[k] = Number(v);
  }
  resolveLimits(out);
  return out;
}

export async function main(argv: readonly string[]): Promise<number> {
  let code = 0;
  const program = buildProgram((c) => { code = c; });
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    if (e.exitCode === 0) return 0;
    process.stderr.write(`shiftaddc: ${usageError(e.message, argv).format()}\n`);
    return 1;
  }
  return code;
}

/** The CLI entry's worker links output staging to the main thread (bin/shiftaddc-worker.js). */
export { observeOutputs } from './cli-output.js';
export { observeMarks } from './cli-marks.js';
