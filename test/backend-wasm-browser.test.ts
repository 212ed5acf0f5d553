// WebAssembly backend in headless Chromium: the examples/web demo page served on 127.0.0.1 predicts runInteger's logits.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Graph } from '../src/ir/graph.js';
import { dequantizeOutput, quantizeInput, runInteger } from '../src/ir/interp-int.js';
import { readNpy } from '../src/io/npy.js';

const CHROMIUM = '/usr/bin/chromium';
const have = fs.existsSync(CHROMIUM);
if (!have) console.log(`backend-wasm-browser: skipped, ${CHROMIUM} is missing (Debian package chromium)`);
const root = path.resolve(new URL('.', import.meta.url).pathname, '..');
const MIME: Record<string, string> = { '.html': 'text/html', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json', '.bin': 'application/octet-stream' };

/** A static file server for `dir` on 127.0.0.1 (ephemeral port). */
function serve(dir: string): Promise<{ url: string; close: () => void }> {
  const server = http.createServer((req, res) => {
    const file = path.join(dir, path.normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^\/+/, '') || 'index.html');
    if (!file.startsWith(dir) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-type': MIME[path.extname(file)] ?? 'application/octet-stream' }).end(fs.readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const a = server.address() as { port: number };
    resolve({ url: `http://127.0.0.1:${a.port}/`, close: () => server.close() });
  }));
}

interface PageResults { variant: string; simd: boolean; ready: number; preds: number[]; logits: number[]; times: number[] }

describe.skipIf(!have)('WebAssembly in headless Chromium (examples/web)', () => {
  it('the demo page computes runInteger\'s logits with the SIMD and the scalar module, from a URL and from bytes', { timeout: 180_000 }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sac-wasm-web-'));
    const buildFile = path.join(root, 'examples', 'web', 'build.mjs');
    const { buildPage } = (await import(buildFile)) as { buildPage: (dir: string) => Graph };
    const g = buildPage(dir);
    const x = g.values[g.inputs[0]!]!;
    const o = g.values[g.outputs[0]!]!;
    const images = readNpy(fs.readFileSync(path.join(root, 'examples', 'data', 'test-images-16.npy')), 'images');
    const want = dequantizeOutput(runInteger(g, [quantizeInput(images, x.quant!.frac, 8)])[0]!, o.quant!.frac);
    const wantPreds = Array.from({ length: 16 }, (_, i) => {
      const row = Array.from(want.data.subarray(i * 10, (i + 1) * 10));
      return row.indexOf(Math.max(...row));
    });
    const { chromium } = await import('playwright-core');
    const server = await serve(dir);
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'sac-chromium-'));
    const ctx = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      for (const variant of ['auto', 'scalar', 'bytes']) {
        const page = await ctx.newPage();
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(String(e)));
        await page.goto(`${server.url}index.html?variant=${variant}`);
        await page.waitForSelector('body[data-done="1"]', { timeout: 60_000 });
        const r = (await page.evaluate('window.__results')) as PageResults;
        expect(errors, variant).toEqual([]);
        expect(r.simd, 'Chromium validates the SIMD probe').toBe(true);
        expect(r.logits, variant).toEqual(Array.from(want.data));
        expect(r.preds, variant).toEqual(wantPreds);
        if (variant === 'auto') {
          const shot = path.join(dir, 'screenshot.png');
          await page.screenshot({ path: shot, fullPage: true });
          expect(fs.statSync(shot).size).toBeGreaterThan(1000);
          console.log(`chromium ${variant}: ready ${r.ready.toFixed(1)} ms, median ${[...r.times].sort((a, b) => a - b)[8]!.toFixed(3)} ms/inference; screenshot ${shot}`);
        }
        await page.close();
      }
    } finally {
      await ctx.close();
      server.close();
    }
  });
});
