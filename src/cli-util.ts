// CLI plumbing: diagnostics printing, exit codes, and atomic output files (never a partial file left behind).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fail, ShiftaddcError } from './diagnostics.js';

/** Writes via a temporary file and rename, so a failed run never leaves a truncated output. */
export function writeFileAtomic(file: string, bytes: Uint8Array | string): void {
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

/** Runs a command body; maps errors to one-line diagnostics and exit codes (1 user error, 2 internal). */
export async function runCommand(debug: boolean, body: () => void | Promise<void>): Promise<number> {
  try {
    await body();
    return 0;
  } catch (e) {
    if (e instanceof ShiftaddcError) {
      process.stderr.write(`shiftaddc: ${e.format()}\n`);
      if (debug) process.stderr.write(`${e.stack}\n`);
      return 1;
    }
    const err = e as Error;
    process.stderr.write(`shiftaddc: internal error: ${err?.message ?? String(e)}; rerun with --debug and report it\n`);
    if (debug) process.stderr.write(`${err?.stack}\n`);
    return 2;
  }
}

