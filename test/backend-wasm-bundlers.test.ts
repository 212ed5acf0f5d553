// NAME.mjs + NAME.wasm through Vite, webpack 5 and esbuild without configuration, run in headless Chromium: runInteger's bits.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { emit } from '../src/backends/registry.js';
import { runInteger } from '../src/ir/interp-int.js';
import { tensor } from '../src/ir/tensor.js';
import { CASES } from './backend-c-models.js';
import { mulberry32 } from './helpers/prng.js';

const CHROMIUM = '/usr/bin/chromium';
const have = fs.existsSync(CHROMIUM);
if (!have) console.log(`backend-wasm-bundlers: skipped, ${CHROMIUM} is missing (Debian package chromium)`);
const MIME: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm' };

/** Static files of `dir` on 127.0.0.1; .wasm is served as application/octet-stream (a misconfigured server: the loader must not care). */
function serve(dir: string): Promise<{ url: string; close: () => void }> {
  const server = http.createServer((req, res) => {
    const file = path.join(dir, path.normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^\/+/, '') || 'index.html');
    if (!file.startsWith(dir) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) { res.writeHead(404).end(); return; }
    const ext = path.extname(file);
    res.writeHead(200, { 'content-type': ext === '.wasm' ? 'application/octet-stream' : MIME[ext] ?? 'application/octet-stream' }).end(fs.readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const a = server.address() as { port: number };
    resolve({ url: `http://127.0.0.1:${a.port}/`, close: () => server.close() });
  }));
}

/** The app every bundler gets: an entry importing the generated loader the way the docs show, and a page. */
function writeApp(app: string, name: string): void {
  fs.writeFileSync(path.join(app, 'main.mjs'), `import { load } from './model/${name}.mjs';\n`
    + 'const model = load();\n'
    + 'window.__run = async (xs) => Array.from((await model).run(Int8Array.from(xs)));\n');
  fs.writeFileSync(path.join(app, 'index.html'), '<!doctype html><html><body><script type="module" src="./main.mjs"></script></body></html>\n');
}

interface WebpackStats { hasErrors(): boolean; toString(o: object): string }
type Webpack = (config: object, done: (err: Error | null, stats?: WebpackStats) => void) => void;

const page = (script: string, module: boolean) => `<!doctype html><html><body><script ${module ? 'type="module" ' : ''}src="./${script}"></script></body></html>\n`;

/** Each bundler's build of `app` into `out` with its defaults (entry and output named, nothing else configured). */
const BUNDLERS: Record<string, (app: string, out: string) => Promise<void>> = {
  async vite(app, out) {
    const { build } = await import('vite');
    await build({ root: app, configFile: false, logLevel: 'silent', build: { outDir: out, emptyOutDir: true } });
  },
  async webpack(app, out) {
    // A computed specifier: the typecheck must not need webpack's types before the devDependency is installed.
    const name = 'webpack';
    const { default: webpack } = (await import(name)) as { default: Webpack };
    const stats = await new Promise<WebpackStats>((resolve, reject) => {
      webpack({ mode: 'production', context: app, entry: './main.mjs', output: { path: out, filename: 'bundle.js' } }, (err, s) => (err || !s ? reject(err) : resolve(s)));
    });
    expect(stats.hasErrors(), stats.toString({ all: false, errors: true })).toBe(false);
    fs.writeFileSync(path.join(out, 'index.html'), page('bundle.js', false));
  },
  async esbuild(app, out) {
    const { build } = await import('esbuild');
    await build({ entryPoints: [path.join(app, 'main.mjs')], bundle: true, format: 'esm', outfile: path.join(out, 'bundle.js'), logLevel: 'silent' });
    // esbuild keeps `new URL('./NAME.wasm', import.meta.url)` as written (relative to the bundle): the modules go beside it.
    for (const f of fs.readdirSync(path.join(app, 'model'))) if (f.endsWith('.wasm')) fs.copyFileSync(path.join(app, 'model', f), path.join(out, f));
    fs.writeFileSync(path.join(out, 'index.html'), page('bundle.js', true));
  },
};

async function available(name: string): Promise<boolean> {
  try { await import(name); return true; } catch { console.log(`backend-wasm-bundlers: ${name} skipped (not installed: npm devDependency)`); return false; }
}

describe.skipIf(!have)('the generated loader in bundlers, run in headless Chromium', async () => {
  const c = CASES[0]!();
  const name = 'tiny';
  const shape = c.graph.values[c.graph.inputs[0]!]!.type.shape;
  const n = shape.reduce((a, b) => a * b, 1);
  const rng = mulberry32(5);
  const inputs = [
    { what: 'random', x: Array.from({ length: n }, () => Math.floor(rng() * 256) - 128) },
    { what: 'all min', x: new Array<number>(n).fill(-128) },
    { what: 'all max', x: new Array<number>(n).fill(127) },
  ];
  const want = inputs.map(({ x }) => Array.from(runInteger(c.graph, [tensor('int8', shape, x)])[0]!.data));
  for (const [bundler, bundle] of Object.entries(BUNDLERS)) {
    it.skipIf(!(await available(bundler)))(`${bundler}: the bundle finds NAME.wasm and computes runInteger's outputs`, async () => {
      const app = fs.mkdtempSync(path.join(os.tmpdir(), `sac-wasm-${bundler}-`));
      fs.mkdirSync(path.join(app, 'model'));
      for (const f of emit(c.graph, 'wasm', { name }).files) fs.writeFileSync(path.join(app, 'model', f.name), f.data);
      writeApp(app, name);
      const out = path.join(app, 'dist');
      await bundle(app, out);
      const emitted = fs.readdirSync(out, { recursive: true }).map(String);
      const { chromium } = await import('playwright-core');
      const server = await serve(out);
      const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
      try {
        const p = await browser.newPage();
        const errors: string[] = [];
        p.on('pageerror', (e) => errors.push(String(e)));
        await p.goto(`${server.url}index.html`);
        await p.waitForFunction('typeof window.__run === "function"', undefined, { timeout: 30_000 });
        for (const [k, { what, x }] of inputs.entries()) {
          expect(await p.evaluate(`window.__run(${JSON.stringify(x)})`), `${bundler} ${what} (files ${emitted.join(', ')})`).toEqual(want[k]);
        }
        expect(errors).toEqual([]);
      } finally {
        await browser.close();
        server.close();
      }
    });
  }
});
