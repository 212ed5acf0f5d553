// The generated header from C++: g++ compiles a main.cpp including NAME.h and links the gcc-built NAME.c object.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, it } from 'vitest';
import { VERSION } from '../src/util/version.js';
import { compileCase, tinyCnn } from './backend-c-models.js';

it('NAME.h links from C++ (extern "C") and states version, options and the API before the weight layouts', () => {
  const cs = compileCase('tiny', tinyCnn(3));
  const io = /int tiny_run\(const (\w+) \*in, (\w+) \*out\);/.exec(cs.c.header);
  expect(io).not.toBeNull();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shiftaddc-cxx-'));
  fs.writeFileSync(path.join(dir, 'tiny.h'), cs.c.header);
  fs.writeFileSync(path.join(dir, 'tiny.c'), cs.c.source);
  fs.writeFileSync(path.join(dir, 'main.cpp'), `#include <cstdio>
#include "tiny.h"
int main() {
  static ${io![1]} in[TINY_INPUT_SIZE];
  static ${io![2]} out[TINY_OUTPUT_SIZE];
  for (int i = 0; i < TINY_INPUT_SIZE; i++) in[i] = (${io![1]})(i * 7 - 50);
  int rc = tiny_run(in, out);
  for (int i = 0; i < TINY_OUTPUT_SIZE; i++) std::printf("%d ", (int)out[i]);
  return rc;
}
`);
  const h = cs.c.header;
  execFileSync('gcc', ['-std=c99', '-O1', '-c', '-o', path.join(dir, 'tiny.o'), path.join(dir, 'tiny.c')]);
  execFileSync('g++', ['-std=c++11', '-Wall', '-Werror', '-o', path.join(dir, 'a.out'), path.join(dir, 'main.cpp'), path.join(dir, 'tiny.o')]);
  const out = execFileSync(path.join(dir, 'a.out'), { encoding: 'utf8' }).trim().split(' ').map(Number);
  expect(out).toHaveLength(3);
  // Without the guards g++ mangles tiny_run and the link above fails; removing them must break it.
  fs.writeFileSync(path.join(dir, 'tiny.h'), h.replace(/#ifdef __cplusplus\n(extern "C" \{|\})\n#endif\n/g, ''));
  expect(() => execFileSync('g++', ['-o', path.join(dir, 'b.out'), path.join(dir, 'main.cpp'), path.join(dir, 'tiny.o')], { stdio: 'pipe' })).toThrow();
  expect(h.split('\n')[0]).toContain(`shiftaddc ${VERSION}`);
  expect(h).toContain('--weights auto');
  expect(h.indexOf('int tiny_run(')).toBeLessThan(h.indexOf('Internal weight layouts'));
  expect(h).toMatch(/uint8 sensor data/);
  fs.rmSync(dir, { recursive: true, force: true });
});
