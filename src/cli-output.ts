// CLI output as a transaction: every file of a command is staged beside its target and moved into place at the end.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fail, ShiftaddcError } from './diagnostics.js';

/** Staging folders are `.NAME.shiftaddc-PID-N` beside the target; the journal sits in the target while a commit runs. */
const STAGE_TAG = '.shiftaddc-';
const JOURNAL = '.shiftaddc-commit.json';
/** Pseudo file systems where a write may block or mean something else than a file. */
const SPECIAL_ROOTS = ['/proc', '/sys', '/dev'];

/** What the CLI entry hears of staging (bin/shiftaddc.js removes open stages when a signal stops the worker). */
export interface OutputEvent { kind: 'stage' | 'unstage'; path: string }

/**
 * Decides whether a commit may start (`enter` false: the process is being stopped, so the commit is abandoned and the
 * previous outputs stay) and is told when it ended; bin/shiftaddc.js backs it with an atomic flag shared with the
 * main thread, so a signal either waits for a running commit or prevents it, never cuts one in half.
 */
export interface CommitGate { enter(): boolean; leave(): void }

let observer: (e: OutputEvent) => void = () => {};
let gate: CommitGate = { enter: () => true, leave: () => {} };
let counter = 0;

/** Sets the listener of staging events and the commit gate (the CLI worker links both to the main thread). */
export function observeOutputs(fn: (e: OutputEvent) => void, commitGate?: CommitGate): void {
  observer = fn;
  if (commitGate) gate = commitGate;
}

const errno = (e: unknown) => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

/** The nearest existing ancestor of an absolute path (the path itself if it exists). */
function existingAncestor(p: string): string {
  let cur = p;
  while (!fs.existsSync(cur)) {
    const up = path.dirname(cur);
    if (up === cur) break;
    cur = up;
  }
  return cur;
}

/**
 * Checks, before any work, that `dir` can become (or already is) an output folder: not empty, not a file, not below
 * a file, not on a pseudo file system, and in a writable place.
 */
export function checkOutputDir(dir: string, flag = '-o'): string {
  if (dir.trim() === '') fail('SAC041', `${flag} is empty`, undefined, 'pass the output folder, e.g. -o out/model');
  const abs = path.resolve(dir);
  const anc = existingAncestor(abs);
  const real = fs.realpathSync(anc);
  if (SPECIAL_ROOTS.some((r) => real === r || real.startsWith(`${r}/`))) fail('SAC041', `${flag} '${dir}' is on the pseudo file system ${real.split('/').slice(0, 2).join('/')}`, undefined, 'write the outputs to a folder on a real disk');
  const st = fs.statSync(anc);
  if (!st.isDirectory()) {
    fail('SAC041', anc === abs ? `${flag} '${dir}' is an existing file, not a folder` : `${flag} '${dir}' lies below the file '${anc}'`, undefined, 'pass a folder path');
  }
  // The staging folder is created beside the target, so the target's parent (or the nearest existing ancestor) must be writable.
  const parent = anc === abs ? path.dirname(abs) : anc;
  for (const p of anc === abs ? [abs, parent] : [parent]) {
    try {
      fs.accessSync(p, fs.constants.W_OK);
    } catch (e) {
      fail('SAC041', `cannot write into '${p}' (${errno(e)})`, undefined, 'pick a folder you can write to');
    }
  }
  return abs;
}

/** Finishes a commit that a killed process left half done (its journal names the staging folder), then forgets it. */
function recover(abs: string): void {
  const journal = path.join(abs, JOURNAL);
  if (!fs.existsSync(journal)) return;
  try {
    const j = JSON.parse(fs.readFileSync(journal, 'utf8')) as { stage: string; files: string[] };
    if (typeof j.stage === 'string' && path.dirname(j.stage) === path.dirname(abs) && path.basename(j.stage).includes(STAGE_TAG)) {
      for (const f of j.files) {
        const from = path.join(j.stage, path.basename(f));
        if (fs.existsSync(from)) fs.renameSync(from, path.join(abs, path.basename(f)));
      }
      fs.rmSync(j.stage, { recursive: true, force: true });
    }
  } catch {
    // An unreadable journal cannot be rolled forward; the staged files (if any) are removed with stale stages below.
  }
  fs.rmSync(journal, { force: true });
}

/** Removes staging folders of `abs` left by processes that no longer run (SIGKILL, power loss). */
function removeStale(abs: string): void {
  const parent = path.dirname(abs);
  const prefix = `.${path.basename(abs)}${STAGE_TAG}`;
  let names: string[];
  try { names = fs.readdirSync(parent); } catch { return; }
  for (const n of names) {
    if (!n.startsWith(prefix)) continue;
    const pid = Number(n.slice(prefix.length).split('-')[0]);
    if (Number.isInteger(pid) && pid !== process.pid && !alive(pid)) fs.rmSync(path.join(parent, n), { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return errno(e) === 'EPERM'; }
}

/** A set of named files to be written into one folder all together or not at all. */
export class OutputTransaction {
  readonly dir: string;
  private readonly files = new Map<string, Uint8Array | string>();
  private readonly dropped = new Set<string>();

  constructor(dir: string, flag = '-o') {
    this.dir = checkOutputDir(dir, flag);
  }

  /** Queues a file; nothing touches the disk before commit(). */
  add(name: string, bytes: Uint8Array | string): void {
    if (name !== path.basename(name) || name === '.' || name === '..' || name.startsWith(STAGE_TAG) || name === JOURNAL) {
      fail('SAC041', `invalid output file name '${name}'`);
    }
    this.files.set(name, bytes);
  }

  /**
   * A file an earlier run may have left that this one does not write (e.g. the IR without --emit-ir): removed at
   * commit, so the folder never pairs new outputs with a stale one. Only a regular file is removed (a symlink is
   * the user's, left as is).
   */
  drop(name: string): void {
    if (name !== path.basename(name) || this.files.has(name)) fail('SAC041', `invalid output file name '${name}'`);
    this.dropped.add(name);
  }

  private removeDropped(abs: string): void {
    for (const name of this.dropped) {
      const t = path.join(abs, name);
      if (fs.lstatSync(t, { throwIfNoEntry: false })?.isFile()) fs.rmSync(t);
    }
  }

  /** Writes every file into a staging folder beside the target, then moves them in; on failure nothing changes. */
  commit(): string[] {
    const abs = this.dir;
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    recover(abs);
    removeStale(abs);
    // Every target must be replaceable before the first rename, so a bad one (a folder named report.md) changes nothing.
    if (fs.existsSync(abs)) {
      for (const name of this.files.keys()) {
        const t = path.join(abs, name);
        const st = fs.lstatSync(t, { throwIfNoEntry: false });
        if (st && !st.isFile() && !st.isSymbolicLink()) fail('SAC041', `cannot replace '${t}': it is not a regular file`, undefined, 'remove it or pick another output folder');
      }
    }
    const stage = path.join(path.dirname(abs), `.${path.basename(abs)}${STAGE_TAG}${process.pid}-${counter++}`);
    observer({ kind: 'stage', path: stage });
    let entered = false;
    try {
      fs.mkdirSync(stage);
      for (const [name, bytes] of this.files) fs.writeFileSync(path.join(stage, name), bytes);
      if (!gate.enter()) fail('SAC041', 'interrupted before the outputs were moved into place', undefined, 'the previous outputs are unchanged');
      entered = true;
      if (!fs.existsSync(abs)) {
        fs.renameSync(stage, abs);
      } else {
        const journal = path.join(abs, JOURNAL);
        fs.writeFileSync(journal, JSON.stringify({ stage, files: [...this.files.keys()] }));
        for (const name of this.files.keys()) fs.renameSync(path.join(stage, name), resolveLink(path.join(abs, name)));
        this.removeDropped(abs);
        fs.rmSync(journal, { force: true });
        fs.rmSync(stage, { recursive: true, force: true });
      }
    } catch (e) {
      fs.rmSync(stage, { recursive: true, force: true });
      if (e instanceof ShiftaddcError) throw e;
      fail('SAC041', `cannot write the outputs into '${abs}' (${errno(e)})`);
    } finally {
      if (entered) gate.leave();
      observer({ kind: 'unstage', path: stage });
    }
    return [...this.files.keys()].map((n) => path.join(abs, n));
  }
}

/** A symlinked output is written through (its target replaced), never replaced by a regular file. */
export function resolveLink(file: string): string {
  const st = fs.lstatSync(file, { throwIfNoEntry: false });
  if (!st?.isSymbolicLink()) return file;
  const target = path.resolve(path.dirname(file), fs.readlinkSync(file));
  const tst = fs.statSync(target, { throwIfNoEntry: false });
  if (tst && !tst.isFile()) fail('SAC041', `'${file}' is a symlink to '${target}', which is not a regular file`);
  return resolveLink(target);
}

/**
 * Checks an output file path before any work: not empty, not a folder, in an existing writable folder, not on a
 * pseudo file system. Returns the path to write (a symlink's target).
 */
export function checkOutputFile(file: string, flag: string): string {
  if (file.trim() === '') fail('SAC041', `${flag} is empty`, undefined, `pass a file name, e.g. ${flag} out.npy`);
  const abs = path.resolve(file);
  const target = resolveLink(abs);
  const st = fs.statSync(target, { throwIfNoEntry: false });
  if (st && !st.isFile()) fail('SAC041', `${flag} '${file}' is ${st.isDirectory() ? 'a folder' : 'not a regular file'}`, undefined, 'pass a file path');
  const dir = path.dirname(target);
  const dst = fs.statSync(dir, { throwIfNoEntry: false });
  if (!dst?.isDirectory()) fail('SAC041', `the folder of ${flag} '${file}' does not exist`, undefined, 'create it first');
  const real = fs.realpathSync(dir);
  if (SPECIAL_ROOTS.some((r) => real === r || real.startsWith(`${r}/`))) fail('SAC041', `${flag} '${file}' is on the pseudo file system ${real.split('/').slice(0, 2).join('/')}`);
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (e) {
    fail('SAC041', `cannot write into '${dir}' (${errno(e)})`);
  }
  return target;
}
