// Max: elementwise maximum of any number of broadcast inputs (NaN propagates).
import { variadicOp } from './variadic.js';

export const maxOp = variadicOp('max', {});
