// Sum: elementwise sum of any number of broadcast inputs (ResNet-50 residuals use it).
import { variadicOp } from './variadic.js';

export const sumOp = variadicOp('sum', {});
