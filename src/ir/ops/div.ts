// Div: elementwise div with numpy broadcasting.
import { binaryOp } from './binary.js';

export const divOp = binaryOp('div', {});
