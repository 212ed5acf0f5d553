// bench/recover-wide: compile time and peak RSS of one Gemm with K inputs (recovery's Gram matrix is K x K), one process per K.
// Usage: node bench/recover-wide.mjs [K...]   (needs `npm run build` first; default K = 2048 4096 4608 8192 16384)
import { execFileSync } from 'node:child_process';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

if (process.argv[2] === '--one') {
  const { compile } = await import('../dist/index.js');
  const K = Number(process.argv[3]);
  const M = 10;
  const N = 64;
  const w = Float32Array.from({ length: M * K }, (_, i) => Math.sin(i * 0.7) / Math.sqrt(K));
  const model = onnx.ModelProto.encode(onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'wide',
      input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }, { dimValue: K }] } } } }],
      initializer: [{ name: 'w', dims: [M, K], dataType: 1, rawData: new Uint8Array(w.buffer) }],
      node: [{ name: 'fc', opType: 'Gemm', input: ['x', 'w'], output: ['y'], attribute: [{ name: 'transB', type: 2, i: 1 }] }],
      output: [{ name: 'y' }],
    },
  })).finish();
  const calib = { dtype: 'float32', shape: [N, K], data: Float32Array.from({ length: N * K }, (_, i) => Math.cos(i * 0.31)) };
  const t0 = performance.now();
  const r = compile(model, { calibration: [calib] });
  const s = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ K, seconds: +s.toFixed(2), notes: r.report.notes }));
} else {
  const ks = process.argv.length > 2 ? process.argv.slice(2).map(Number) : [2048, 4096, 4608, 8192, 16384];
  for (const K of ks) {
    // GNU time reports the child's peak RSS; the compile itself runs in that child.
    const out = execFileSync('/usr/bin/time', ['-f', '%M', process.execPath, new URL(import.meta.url).pathname, '--one', String(K)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    console.log(out.trim());
  }
}
