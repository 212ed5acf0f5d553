// Min: elementwise minimum of any number of broadcast inputs (NaN propagates).
import { variadicOp } from './variadic.js';

export const minOp = variadicOp('min', {});
