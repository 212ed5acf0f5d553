// Builds ../shared/peers/cmsis-nn into a static library per compiler + flags (cached in a work folder), for the benches.
// Every Source/*/*.c except the _f16/_f32/_flt and Bindings files, as the peers README says; never copied into the project.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const CMSIS = path.resolve(new URL('../../', import.meta.url).pathname, '../../shared/peers/cmsis-nn');
const ROOT_ALT = path.resolve(new URL('../../', import.meta.url).pathname, '../shared/peers/cmsis-nn');

/** The CMSIS-NN folder: ../shared/peers/cmsis-nn from the project root (a worktree looks one level higher too). */
export function cmsisDir() {
  for (const d of [ROOT_ALT, CMSIS]) if (fs.existsSync(path.join(d, 'Include/arm_nnfunctions.h'))) return d;
  throw new Error(`CMSIS-NN not found at ${ROOT_ALT} or ${CMSIS}`);
}

export function cmsisSources(dir = cmsisDir()) {
  const src = path.join(dir, 'Source');
  return fs.readdirSync(src).filter((d) => d !== 'Bindings' && fs.statSync(path.join(src, d)).isDirectory())
    .flatMap((d) => fs.readdirSync(path.join(src, d)).filter((f) => f.endsWith('.c') && !/_(f16|f32|flt)\.c$/.test(f)).map((f) => path.join(src, d, f)));
}

/** Compiles the library with `cc flags` into work/<tag>/libcmsisnn.a (once) and returns its path. */
export function cmsisLib(work, tag, cc, flags) {
  const out = path.join(work, `cmsis-${tag}`);
  const lib = path.join(out, 'libcmsisnn.a');
  if (fs.existsSync(lib)) return lib;
  fs.mkdirSync(out, { recursive: true });
  const dir = cmsisDir();
  const objs = cmsisSources(dir).map((f) => {
    const o = path.join(out, `${path.basename(f, '.c')}.o`);
    execFileSync(cc, [...flags, '-std=c99', '-ffunction-sections', '-fdata-sections', '-I', path.join(dir, 'Include'), '-c', '-o', o, f]);
    return o;
  });
  execFileSync(cc.replace(/gcc$/, 'ar'), ['rcs', lib, ...objs]);
  return lib;
}
