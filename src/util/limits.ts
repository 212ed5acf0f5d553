// Resource limits applied to declared sizes before anything is allocated (shared by the model and .npy readers).

/** Largest tensor we will materialise (elements); 2^29 float32 = 2 GiB. */
export const MAX_ELEMENTS = 2 ** 29;
/** Largest single dimension accepted from a model. */
export const MAX_DIM = 2 ** 31 - 1;
