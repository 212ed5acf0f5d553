// Host C toolchain: finds the compiler, builds generated C into a content-addressed cache, runs the result.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fail } from '../../diagnostics.js';

/** Cache folder: $SHIFTADDC_CACHE, else $XDG_CACHE_HOME/shiftaddc, else ~/.cache/shiftaddc. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SHIFTADDC_CACHE) return path.resolve(env.SHIFTADDC_CACHE);
  return path.join(env.XDG_CACHE_HOME ? path.resolve(env.XDG_CACHE_HOME) : path.join(os.homedir(), '.cache'), 'shiftaddc');
}

export interface Toolchain { argv: string[]; version: string }

const versions = new Map<string, string>();

/** The compiler command (CC may carry arguments, e.g. `ccache gcc`) and its `--version` text, which keys the cache. */
export function hostCompiler(cc: string = process.env.CC || 'cc'): Toolchain {
  const argv = cc.trim().split(/\s+/);
  let version = versions.get(cc);
  if (version === undefined) {
    const r = spawnSync(argv[0]!, [...argv.slice(1), '--version'], { encoding: 'utf8' });
    if (r.error || r.status !== 0) {
      const why = r.error ? (r.error as NodeJS.ErrnoException).code ?? r.error.message : `exit ${r.status}`;
      fail('SAC061', `cannot run C compiler '${cc}' (${why})`);
    }
    version = r.stdout;
    versions.set(cc, version);
  }
  return { argv, version };
}

const errno = (e: unknown) => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

function sha(parts: readonly (string | Uint8Array)[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex').slice(0, 16);
}

/** Temp file + rename: a concurrent run either sees no file or the complete one, never a partial one. */
function putAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    fail('SAC064', `cannot write '${file}' (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

export interface CSources { dir: string; files: string[] }

/**
 * A cache folder we may execute from: a real folder (not a symlink) owned by this user that no one else can write,
 * created 0700 if missing. Anyone who can write into it could swap a binary that `run --backend c` executes.
 */
function privateDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    fail('SAC064', `cannot create '${dir}' (${errno(e)})`);
  }
  const st = fs.lstatSync(dir);
  const uid = process.getuid?.();
  if (!st.isDirectory()) fail('SAC064', `cache folder '${dir}' is not a folder (a symlink or a file)`, undefined, 'remove it or set SHIFTADDC_CACHE to a private folder');
  if (uid !== undefined && st.uid !== uid) fail('SAC064', `cache folder '${dir}' belongs to another user (uid ${st.uid})`, undefined, 'set SHIFTADDC_CACHE to a folder of your own');
  if (st.mode & 0o022) fail('SAC064', `cache folder '${dir}' is writable by others (mode ${(st.mode & 0o777).toString(8)})`, undefined, `chmod go-w '${dir}' or set SHIFTADDC_CACHE to a private folder`);
}

/** Writes sources into `root/NAME-<hash of all files>`; returns the folder and the paths of the .c files in order. */
export function writeSources(root: string, name: string, files: Readonly<Record<string, string | Uint8Array>>): CSources {
  const names = Object.keys(files);
  privateDir(root);
  const dir = path.join(root, `${name}-${sha(names.flatMap((f) => [f, files[f]!]))}`);
  privateDir(dir);
  // A cached source that differs from what it should hold (edited, truncated) is rewritten before any build uses it.
  for (const f of names) {
    const p = path.join(dir, f);
    const want = files[f]!;
    const have = fs.existsSync(p) ? fs.readFileSync(p) : undefined;
    if (!have || !have.equals(typeof want === 'string' ? Buffer.from(want, 'utf8') : want)) putAtomic(p, want);
  }
  // NAME_weights.S (a model's weights blob) is assembled with the C files.
  return { dir, files: names.filter((f) => f.endsWith('.c') || f.endsWith('.S')).map((f) => path.join(dir, f)) };
}

/** sha256 of a file's bytes (the cache records it beside each build and checks it before every reuse). */
function fileSha(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** A cached build is reused only if it is a regular file whose bytes hash to what its build recorded. */
function verifiedCache(out: string): boolean {
  const st = fs.lstatSync(out, { throwIfNoEntry: false });
  if (!st) return false;
  let ok = false;
  try {
    ok = st.isFile() && fs.readFileSync(`${out}.sha256`, 'utf8').trim() === fileSha(out);
  } catch {
    ok = false;
  }
  if (!ok) { fs.rmSync(out, { force: true }); fs.rmSync(`${out}.sha256`, { force: true }); }
  return ok;
}

export interface BuildOptions {
  /** Compiler command; default $CC, else `cc`. */
  cc?: string;
  flags?: readonly string[];
  /** The .c files to compile (default: all of them). */
  files?: readonly string[];
  /** Compile to an object file (-c) instead of an executable. */
  object?: boolean;
}

export interface CBinary { path: string; cached: boolean }

/** Builds (or reuses) an executable or object next to its sources, keyed by compiler version, command and flags. */
export function buildC(src: CSources, opts: BuildOptions = {}): CBinary {
  const tc = hostCompiler(opts.cc);
  const flags = opts.flags ?? [];
  const files = opts.files ?? src.files;
  const tag = sha([tc.version, ...tc.argv, ...flags, ...files.map((f) => path.basename(f)), opts.object ? '-c' : '']);
  const out = path.join(src.dir, `${path.basename(tc.argv[0]!)}-${tag}${opts.object ? '.o' : '.bin'}`);
  if (verifiedCache(out)) return { path: out, cached: true };
  const tmp = `${out}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const args = [...tc.argv.slice(1), ...flags, '-I', src.dir, ...(opts.object ? ['-c'] : []), '-o', tmp, ...files];
  // From the source folder: .incbin in NAME_weights.S names NAME_weights.bin relative to it.
  const r = spawnSync(tc.argv[0]!, args, { encoding: 'utf8', cwd: src.dir });
  if (r.error) fail('SAC061', `cannot run C compiler '${tc.argv.join(' ')}' (${(r.error as NodeJS.ErrnoException).code ?? r.error.message})`);
  if (r.status !== 0) {
    fs.rmSync(tmp, { force: true });
    const log = `${out}.log`;
    putAtomic(log, `${tc.argv[0]} ${args.join(' ')}\n${r.stdout}${r.stderr}`);
    fail('SAC062', `${tc.argv.join(' ')} exited ${r.status ?? r.signal}: ${firstError(r.stderr)} (full log: ${log})`);
  }
  try {
    // The hash is recorded before the binary appears, so a reader that sees the binary also sees its hash.
    putAtomic(`${out}.sha256`, fileSha(tmp));
    fs.renameSync(tmp, out);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    fail('SAC064', `cannot write '${out}' (${errno(e)})`);
  }
  return { path: out, cached: false };
}

/** The line a person looks for first: the first one mentioning an error, else the first non-empty one. */
function firstError(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /error|sanitizer/i.test(l)) ?? lines[0] ?? 'no output';
}

/** Runs a built program with `input` on stdin; returns stdout. A non-zero exit is SAC063 (never a raw throw). */
export function runBinary(bin: string, args: readonly string[], input: Uint8Array, env?: NodeJS.ProcessEnv): Buffer {
  const r = spawnSync(bin, args, { input, maxBuffer: 1 << 30, env: env ?? process.env });
  if (r.error) fail('SAC063', `cannot run '${bin}' (${(r.error as NodeJS.ErrnoException).code ?? r.error.message})`);
  if (r.status !== 0) fail('SAC063', `'${path.basename(bin)} ${args.join(' ')}' exited ${r.status ?? r.signal}: ${firstError(r.stderr.toString())}`);
  return r.stdout;
}
