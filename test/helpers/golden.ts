// Golden-file assertions: compare text with test/golden/<relPath>; UPDATE_GOLDEN=1 (npm run test:update-golden) rewrites.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const GOLDEN_DIR = fileURLToPath(new URL('../golden/', import.meta.url));

export function updatingGolden(): boolean {
  const v = process.env['UPDATE_GOLDEN'];
  return v !== undefined && v !== '' && v !== '0' && v !== 'false';
}

/**
 * Asserts `actual` equals the golden file test/golden/<relPath> byte for byte (CRLF in the file is
 * read as LF). With UPDATE_GOLDEN=1 the file is (re)written instead and the assertion passes.
 */
export function expectGolden(relPath: string, actual: string): void {
  const file = join(GOLDEN_DIR, relPath);
  const rel = relative(process.cwd(), file) || file;
  if (relative(GOLDEN_DIR, file).startsWith('..')) throw new Error(`golden path ${relPath} escapes test/golden/`);
  if (updatingGolden()) {
    mkdirSync(dirname(file), { recursive: true });
    const old = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
    if (old !== actual) writeFileSync(file, actual);
    return;
  }
  if (!existsSync(file)) {
    throw new Error(`golden file ${rel} does not exist; create it with \`npm run test:update-golden\` `
      + '(UPDATE_GOLDEN=1 vitest run), review it, and commit it');
  }
  const expected = readFileSync(file, 'utf8').replace(/\r\n/g, '\n');
  expect(actual, `output differs from golden file ${rel}; if the change is intended, run \`npm run test:update-golden\` and review the diff`)
    .toBe(expected);
}
