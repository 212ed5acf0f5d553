// CLI plumbing: diagnostics printing, exit codes, and atomic output files (never a partial file left behind).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { lastMark } from './cli-marks.js';
import { resolveLink } from './cli-output.js';
import { fail, ShiftaddcError } from './diagnostics.js';

/**
 * Writes via a temporary file and rename, so a failed run never leaves a truncated output; a symlink is written
 * through (its target replaced), never itself replaced by a regular file.
 */
export function writeFileAtomic(target: string, bytes: Uint8Array | string): void {
  const file = resolveLink(target);
  const dir = path.dirname(path.resolve(file));
  if (!fs.existsSync(dir)) fail('SAC041', `output folder '${dir}' does not exist`);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    if (e instanceof ShiftaddcError) throw e;
    fail('SAC041', `cannot write '${file}' (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** A command-line usage error (commander's message, e.g. an unknown option) as a diagnostic naming the command. */
export function usageError(message: string, argv: readonly string[]): ShiftaddcError {
  const text = message.replace(/^error:\s*/i, '').replace(/\s*\n[\s\S]*$/, '');
  const command = argv.find((a) => !a.startsWith('-'));
  const help = command && ['inspect', 'compile', 'run', 'eval'].includes(command) ? `shiftaddc ${command} --help` : 'shiftaddc --help';
  return new ShiftaddcError('SAC043', text, undefined, `see ${help}`);
}

/**
 * Runs a command body; maps errors to one-line diagnostics and exit codes (1 user error, 2 internal). A body that
 * printed its own diagnostics (inspect --check) returns its exit code.
 */
export async function runCommand(debug: boolean, body: () => void | number | Promise<void | number>): Promise<number> {
  try {
    return (await body()) ?? 0;
  } catch (e) {
    if (e instanceof ShiftaddcError) {
      // A check that found several problems at once (e.g. every node lowering refuses) prints each on its line.
      for (const f of e.findings) process.stderr.write(`shiftaddc: ${f.format()}\n`);
      if (debug) process.stderr.write(`${e.stack}\n`);
      return 1;
    }
    const err = e as Error;
    // An allocation no pass turned into SAC025 itself (a typed array or buffer past what the machine gives): still
    // one diagnostic, at the last progress mark.
    if (err instanceof RangeError && /allocation failed|invalid (typed )?array length|array buffer/i.test(err.message)) {
      const at = lastMark();
      process.stderr.write(`shiftaddc: ${new ShiftaddcError('SAC025', err.message, at || undefined, 'use fewer calibration images, --no-recover, --terms 1 or --prune, or a machine with more memory').format()}\n`);
      if (debug) process.stderr.write(`${err.stack}\n`);
      return 1;
    }
    process.stderr.write(`shiftaddc: internal error: ${err?.message ?? String(e)}; rerun with --debug and report it\n`);
    if (debug) process.stderr.write(`${err?.stack}\n`);
    return 2;
  }
}

