// Runs the built CLI in a child process and checks the one-line diagnostic contract of bad input.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { expect } from 'vitest';

const root = path.resolve(new URL('.', import.meta.url).pathname, '..', '..');
export const BIN = path.join(root, 'bin', 'shiftaddc.js');

export interface CliResult { code: number | null; out: string; err: string }

export function runCli(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd, env: { ...process.env, ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A bad input must exit 1 with exactly one diagnostic line carrying `code`, and no stack trace. */
export function expectDiagnostic(r: CliResult, code: string): void {
  expect(r.code, r.err).toBe(1);
  const lines = r.err.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^shiftaddc: error ${code}: .+; .+`));
  expect(r.err).not.toMatch(/\n\s+at /);
}
