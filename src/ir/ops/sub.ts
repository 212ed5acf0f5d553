// Sub: elementwise sub with numpy broadcasting.
import { binaryOp } from './binary.js';

export const subOp = binaryOp('sub', {});
