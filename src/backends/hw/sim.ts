// Runs the reference engine (hw/sa_engine.v) in Icarus Verilog on the emitted files: outputs, cycles, layer checks.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fail } from '../../diagnostics.js';
import type { EmitFile } from '../contract.js';

/** The folder holding sa_engine.v: hw/ of the package, found upwards from this module (source tree or bundle). */
export function hwSourceDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (fs.existsSync(path.join(dir, 'hw', 'sa_engine.v'))) return path.join(dir, 'hw');
    dir = path.dirname(dir);
  }
  return fail('SAC061', 'the reference engine sources (hw/sa_engine.v) are not installed next to shiftaddc');
}

/** Fails unless iverilog and vvp run. */
export function checkIverilog(): void {
  try {
    execFileSync('iverilog', ['-V'], { stdio: 'ignore' });
  } catch {
    fail('SAC061', 'iverilog (Icarus Verilog) is not installed', undefined, 'apt-get install iverilog');
  }
}

export interface SimRun { cycles: number; errors: number; layers: number; output: number[]; log: string }

/**
 * Writes `files` to a fresh folder and builds the testbench there; returns the folder and the compiled simulation.
 * `spram`: the engine's SPRAM memories, simulated by hw/sb_spram256ka_sim.v.
 */
export function buildSim(files: readonly EmitFile[], spram = false): { dir: string; sim: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shiftaddc-hw-'));
  for (const f of files) fs.writeFileSync(path.join(dir, f.name), f.data);
  const hw = hwSourceDir();
  const sim = path.join(dir, 'sim.vvp');
  const sources = ['sa_engine.v', 'sa_act_mem.v', 'sa_terms_mem.v', ...(spram ? ['sb_spram256ka_sim.v'] : []), 'sa_tb.v'].map((f) => path.join(hw, f));
  execFileSync('iverilog', ['-g2005', '-I', dir, '-I', hw, '-o', sim, ...sources], { cwd: dir, stdio: 'pipe' });
  return { dir, sim };
}

/** Runs one sample: its input and expected-output images, already in `dir`. Output words are 16-bit two's complement. */
export function runSim(dir: string, sim: string, input: string, want: string): SimRun {
  const out = path.join(dir, `${input}.out`);
  const log = execFileSync('vvp', ['-n', sim, `+input=${input}`, `+want=${want}`, `+output=${out}`], { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 26 });
  const num = (key: string) => Number(new RegExp(`^${key} (\\d+)`, 'm').exec(log)?.[1] ?? NaN);
  const output = fs.existsSync(out) ? fs.readFileSync(out, 'utf8').split('\n').filter(Boolean).map((h) => { const v = parseInt(h, 16); return v >= 32768 ? v - 65536 : v; }) : [];
  return { cycles: num('CYCLES'), errors: num('ERRORS'), layers: (log.match(/^LAYER /gm) ?? []).length, output, log };
}
