// VERSION (stamped into the generated C header) equals package.json's version.
import * as fs from 'node:fs';
import { expect, it } from 'vitest';
import { VERSION } from '../src/util/version.js';

it('VERSION matches package.json', () => {
  expect(VERSION).toBe((JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version);
});
