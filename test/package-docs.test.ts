// The npm package ships docs/: every docs page the generated C (header comments) or the CLI help points at is in it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..');

describe('package contents', () => {
  it('package.json files ship docs/, and every docs/*.md the sources name exists', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { files: string[] };
    expect(pkg.files).toContain('docs');
    const named = new Set<string>();
    const walk = (d: string): void => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.ts')) for (const m of fs.readFileSync(p, 'utf8').matchAll(/docs\/([\w-]+\.md)/g)) named.add(m[1]!);
      }
    };
    walk(path.join(root, 'src'));
    expect(named.has('numerics.md')).toBe(true);
    expect(named.has('c-tiling.md')).toBe(true);
    for (const f of named) expect(fs.existsSync(path.join(root, 'docs', f)), `docs/${f}`).toBe(true);
  });
});
