// ESM shim for the CommonJS onnx-proto package: the runtime namespace (types come from `import type { onnx }`).
import pkg from 'onnx-proto';
import type { onnx } from 'onnx-proto';

/** Runtime protobuf classes (ModelProto.decode, TensorProto.encode, ...). */
export const ONNX: typeof onnx = (pkg as unknown as { onnx: typeof onnx }).onnx;
