// Output transactions: all files of a command appear together or not at all, stale stages are cleaned, links written through.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkOutputDir, OutputTransaction, resolveLink } from '../src/cli-output.js';
import { ShiftaddcError } from '../src/diagnostics.js';

let root: string;
beforeEach(() => { root = fs.mkdtempSync(path.join(os.tmpdir(), 'sac-out-')); });
afterEach(() => { fs.rmSync(root, { recursive: true, force: true }); });

const code = (f: () => unknown): string => {
  try { f(); } catch (e) { if (e instanceof ShiftaddcError) return `${e.code}: ${e.message}`; throw e; }
  return 'no error';
};
const listing = () => fs.readdirSync(root).sort();

describe('OutputTransaction', () => {
  it('creates a new folder with every file and leaves no staging folder', () => {
    const t = new OutputTransaction(path.join(root, 'a/b'));
    t.add('x.txt', 'one');
    t.add('y.bin', new Uint8Array([1, 2]));
    t.commit();
    expect(fs.readdirSync(path.join(root, 'a/b')).sort()).toEqual(['x.txt', 'y.bin']);
    expect(fs.readdirSync(path.join(root, 'a'))).toEqual(['b']);
  });

  it('replaces the files of an existing folder and keeps the others', () => {
    const out = path.join(root, 'o');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'x.txt'), 'old');
    fs.writeFileSync(path.join(out, 'keep.txt'), 'mine');
    const t = new OutputTransaction(out);
    t.add('x.txt', 'new');
    t.commit();
    expect(fs.readFileSync(path.join(out, 'x.txt'), 'utf8')).toBe('new');
    expect(fs.readFileSync(path.join(out, 'keep.txt'), 'utf8')).toBe('mine');
    expect(listing()).toEqual(['o']);
  });

  it('changes nothing when one target cannot be replaced (a folder named like an output)', () => {
    const out = path.join(root, 'o');
    fs.mkdirSync(path.join(out, 'report.md'), { recursive: true });
    fs.writeFileSync(path.join(out, 'a.ir'), 'old');
    const t = new OutputTransaction(out);
    t.add('a.ir', 'new');
    t.add('report.md', 'new');
    expect(code(() => t.commit())).toMatch(/^SAC041: .*cannot replace .*report\.md/);
    expect(fs.readFileSync(path.join(out, 'a.ir'), 'utf8')).toBe('old');
    expect(listing()).toEqual(['o']);
  });

  it('rejects unusable output paths before any work', () => {
    fs.writeFileSync(path.join(root, 'file'), 'x');
    expect(code(() => checkOutputDir(path.join(root, 'file')))).toMatch(/^SAC041: .*is an existing file/);
    expect(code(() => checkOutputDir(path.join(root, 'file/below')))).toMatch(/^SAC041: .*lies below the file/);
    expect(code(() => checkOutputDir(''))).toMatch(/^SAC041: .*-o is empty/);
    expect(code(() => checkOutputDir('/proc/self/x'))).toMatch(/^SAC041: .*pseudo file system \/proc/);
    expect(code(() => new OutputTransaction(root).add('../x', ''))).toMatch(/^SAC041: .*invalid output file name/);
  });

  it.skipIf(process.getuid?.() === 0)('rejects a read-only folder', () => {
    const ro = path.join(root, 'ro');
    fs.mkdirSync(ro, { mode: 0o555 });
    expect(code(() => checkOutputDir(path.join(ro, 'out')))).toMatch(/^SAC041: .*cannot write into/);
  });

  it('removes staging folders of dead processes and rolls a journalled commit forward', () => {
    const out = path.join(root, 'o');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'a.txt'), 'old a');
    fs.writeFileSync(path.join(out, 'b.txt'), 'old b');
    // A process killed after moving a.txt: its stage still holds b.txt and the journal names both.
    const dead = 2 ** 22 + 12345;
    const stage = path.join(root, `.o.shiftaddc-${dead}-0`);
    fs.mkdirSync(stage);
    fs.writeFileSync(path.join(stage, 'b.txt'), 'new b');
    fs.writeFileSync(path.join(out, 'a.txt'), 'new a');
    fs.writeFileSync(path.join(out, '.shiftaddc-commit.json'), JSON.stringify({ stage, files: ['a.txt', 'b.txt'] }));
    const orphan = path.join(root, `.o.shiftaddc-${dead}-1`);
    fs.mkdirSync(orphan);
    const t = new OutputTransaction(out);
    t.add('c.txt', 'c');
    t.commit();
    expect(fs.readFileSync(path.join(out, 'b.txt'), 'utf8')).toBe('new b');
    expect(fs.readdirSync(out).sort()).toEqual(['a.txt', 'b.txt', 'c.txt']);
    expect(listing()).toEqual(['o']);
  });

  it('writes through a symlinked output file instead of replacing the link', () => {
    const out = path.join(root, 'o');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(root, 'real.txt'), 'old');
    fs.symlinkSync(path.join(root, 'real.txt'), path.join(out, 'x.txt'));
    const t = new OutputTransaction(out);
    t.add('x.txt', 'new');
    t.commit();
    expect(fs.lstatSync(path.join(out, 'x.txt')).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(path.join(root, 'real.txt'), 'utf8')).toBe('new');
    expect(resolveLink(path.join(out, 'x.txt'))).toBe(path.join(root, 'real.txt'));
  });
});
