// Bundles the CLI (src/cli.ts, everything it imports, commander and onnx-proto/protobufjs) into one ES module,
// dist/shiftaddc.mjs, with esbuild: bin/shiftaddc.js then loads one file instead of ~155 modules. The library
// (dist/index.js) stays tsc's unbundled output. Run by `npm run build` (and so by `prepare`) after tsc.
import * as esbuild from 'esbuild';
import * as path from 'node:path';

const root = path.resolve(new URL('.', import.meta.url).pathname, '..');
const onnxProto = path.join(root, 'src', 'util', 'onnx-proto.ts');

await esbuild.build({
  absWorkingDir: root,
  entryPoints: ['src/cli.ts'],
  outfile: 'dist/shiftaddc.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Read only under --debug (bin/shiftaddc.js turns source maps on then): stack frames name src/*.ts lines.
  sourcemap: 'linked',
  sourcesContent: false,
  logLevel: 'warning',
  plugins: [{
    // src/util/onnx-proto.ts loads the CommonJS onnx-proto through createRequire, which esbuild cannot follow;
    // in the bundle a plain require() lets esbuild include it (faster to load than resolving it from node_modules).
    name: 'onnx-proto',
    setup(b) {
      b.onLoad({ filter: /onnx-proto\.ts$/ }, (args) => args.path === onnxProto
        ? { contents: "export const ONNX = require('onnx-proto').onnx;", loader: 'ts' }
        : undefined);
    },
  }],
  // The bundled CommonJS (commander, protobufjs) require()s Node builtins, and protobufjs looks up `long` with
  // require at run time: ESM has no require, so the bundle defines one.
  banner: { js: "import { createRequire as __shiftaddcCreateRequire } from 'node:module'; const require = __shiftaddcCreateRequire(import.meta.url);" },
});
