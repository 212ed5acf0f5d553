// Mul: elementwise mul with numpy broadcasting.
import { binaryOp } from './binary.js';

export const mulOp = binaryOp('mul', {});
