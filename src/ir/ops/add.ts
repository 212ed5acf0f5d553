// Add: elementwise add with numpy broadcasting.
import { binaryOp } from './binary.js';

export const addOp = binaryOp('add', { fusesActivation: true });
