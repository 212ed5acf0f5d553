// Importing this module registers the compiler's WebAssembly fast paths with the interpreters (src/ir/accel.ts).
// The library entry points import it; SHIFTADDC_NO_WASM=1 (accel/runtime.ts) makes every fast path pass.
import { registerInterpAccelerators } from './interp-ops.js';

registerInterpAccelerators();
