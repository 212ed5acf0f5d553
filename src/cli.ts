// The shiftaddc command line: parses options, calls the library, prints results and diagnostics.
import { Command, CommanderError } from 'commander';
import { loadModel, readInputFile, runFloat } from './api.js';
import { runCommand, writeFileAtomic } from './cli-util.js';
import { fail } from './diagnostics.js';
import { formatInspect, inspect } from './inspect.js';
import { readNpy, writeNpy } from './io/npy.js';
import { formatType, type Tensor } from './ir/tensor.js';

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

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('shiftaddc')
    .description('Compile ONNX CNNs into multiplication-free shift-add networks')
    .option('--debug', 'show stack traces for errors')
    .showHelpAfterError()
    .exitOverride();
  const debug = () => Boolean(program.opts().debug);

  program.command('inspect')
    .description('summarise a model per layer: op, output shape, parameters, MACs')
    .argument('<model>', 'ONNX model file')
    .option('--json', 'print JSON instead of a table')
    .action(async (model: string, opts: { json?: boolean }) => {
      setExit(await runCommand(debug(), () => {
        const report = inspect(loadModel(model));
        process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatInspect(report)}\n`);
      }));
    });

  program.command('run')
    .description('run float32 inference on .npy inputs and write .npy outputs')
    .argument('<model>', 'ONNX model file')
    .requiredOption('--input <file>', '.npy input (repeat for several model inputs)', collect, [])
    .option('--output <file>', '.npy output (repeat for several model outputs)', collect, [])
    .action(async (model: string, opts: { input: string[]; output: string[] }) => {
      setExit(await runCommand(debug(), () => {
        const graph = loadModel(model);
        const inputs = opts.input.map((f) => readNpy(readInputFile(f, 'input'), `input '${f}'`));
        if (opts.output.length > graph.outputs.length) fail('SAC040', `${opts.output.length} --output files for ${graph.outputs.length} model output(s)`);
        const outs = runFloat(graph, inputs);
        outs.forEach((t, k) => {
          const file = opts.output[k];
          if (file) writeFileAtomic(file, writeNpy(t));
          const top = argmaxRows(t);
          const name = graph.values[graph.outputs[k]!]!.name;
          process.stdout.write(`${name}: ${formatType(t)}${file ? ` -> ${file}` : ''}${top.length ? `; top-1 per sample: ${top.join(' ')}` : ''}\n`);
        });
      }));
    });
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  let code = 0;
  const program = buildProgram((c) => { code = c; });
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 1;
    throw e;
  }
  return code;
}
