// Test helper for the WebAssembly backend: wasm-validate (Debian wabt) and a disassembly check for multiplies.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'vitest';

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'sac-wasm-ops-'));

/** wasm-validate (Debian wabt) accepts the module, and its disassembly has no multiply. */
export function checkModule(bytes: Uint8Array, name: string): void {
  const file = path.join(TMP, `${name}.wasm`);
  fs.writeFileSync(file, bytes);
  execFileSync('wasm-validate', [file]);
  const dis = execFileSync('wasm-objdump', ['-d', file], { encoding: 'utf8', maxBuffer: 1 << 28 });
  expect(dis).toMatch(/i32\.add/);
  expect(dis.match(/i(32|64)\.(mul|div_s|div_u|rem_s|rem_u)/)?.[0] ?? null).toBeNull();
}

