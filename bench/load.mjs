// bench/load: load + shape inference time and peak RSS for a model (default light/resnet50), vs its weight bytes.
// Usage: node bench/load.mjs [model.onnx]   (needs `npm run build`; run in a fresh process per model)
import * as path from 'node:path';
import { inspect, loadModel } from '../dist/index.js';

const root = path.resolve(new URL('.', import.meta.url).pathname, '..', '..', 'shared', 'onnx-backend-data');
const model = process.argv[2] ?? path.join(root, 'light', 'light_resnet50.onnx');
const rss0 = process.memoryUsage().rss;
const t0 = performance.now();
const graph = loadModel(model);
const secs = (performance.now() - t0) / 1000;
const report = inspect(graph);
const peak = process.resourceUsage().maxRSS * 1024;
const mb = (b) => (b / 2 ** 20).toFixed(1);
const weights = report.totals.weightBytes;
console.log(`${path.basename(model)}: ${graph.nodes.length} nodes, ${report.totals.params.toLocaleString('en-US')} parameters (${mb(weights)} MiB)`);
console.log(`load + shape inference + verify: ${secs.toFixed(2)} s (target < 3 s)`);
console.log(`peak RSS ${mb(peak)} MiB (process baseline ${mb(rss0)} MiB) = ${(peak / weights).toFixed(2)}x weight bytes (target < 3x)`);
