// The CommonJS onnx-proto package's runtime namespace (types come from `import type { onnx }`).
import { createRequire } from 'node:module';
import type { onnx } from 'onnx-proto';

/**
 * Runtime protobuf classes (ModelProto.decode, TensorProto.encode, ...). Loaded with require, not import: an ESM
 * import of a CommonJS module first scans its 330 KB source for export names, which doubled the CLI's load time.
 * The CLI bundle (scripts/bundle-cli.mjs) replaces this module with a plain require that esbuild follows.
 */
export const ONNX: typeof onnx = (createRequire(import.meta.url)('onnx-proto') as { onnx: typeof onnx }).onnx;
