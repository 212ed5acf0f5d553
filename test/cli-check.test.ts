// inspect --check on the command line: one diagnostic line per refused node, exit 1; JSON findings; a good model passes.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { dataRoot, haveData } from './helpers/conformance.js';
import { buildModel } from './helpers/onnx-builder.js';
import { EVIL, SEVERAL } from './helpers/check-models.js';

const root = path.resolve(new URL('.', import.meta.url).pathname, '..');

describe('shiftaddc inspect --check', () => {
  it('the CLI prints one diagnostic line per finding and exits 1; a convertible model passes', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sac-check-'));
    fs.writeFileSync(path.join(dir, 'bad.onnx'), buildModel(SEVERAL));
    const bad = runCli(['inspect', '--check', 'bad.onnx'], dir);
    expect(bad.code).toBe(1);
    expect(bad.out).toBe('');
    const lines = bad.err.trim().split('\n');
    expect(lines.map((l) => l.match(/at node '(.*)' \((\w+)\)\)/)?.slice(1))).toEqual([['\\x1b[2Jexp\\u{202e}', 'Exp'], ['mid-softmax', 'Softmax'], ['reflect-pad', 'Pad'], ['diff', 'Sub']]);
    for (const l of lines) expect(l).toMatch(/^shiftaddc: error SAC052: .+; .+/);
    const json = runCli(['inspect', '--check', '--json', 'bad.onnx'], dir);
    expect(json.code).toBe(1);
    expect((JSON.parse(json.out) as { findings: { node: string }[] }).findings.map((f) => f.node)).toEqual([EVIL, 'mid-softmax', 'reflect-pad', 'diff']);
    fs.rmSync(dir, { recursive: true, force: true });
    const lenet = runCli(['inspect', '--check', 'lenet.onnx'], path.join(root, 'examples'));
    expect(lenet.code, lenet.err).toBe(0);
    expect(lenet.out).toMatch(/every node converts/);
  });

  it.skipIf(!haveData)('all nine light/ ImageNet models pass the check in seconds', () => {
    const dir = path.join(dataRoot, 'light');
    const models = fs.readdirSync(dir).filter((f) => f.endsWith('.onnx'));
    expect(models.length, dir).toBe(9);
    for (const m of models) {
      const r = runCli(['inspect', '--check', '--json', m], dir);
      expect(r.code, `${m}: ${r.err}`).toBe(0);
      expect((JSON.parse(r.out) as { ok: boolean }).ok).toBe(true);
    }
  });
});
