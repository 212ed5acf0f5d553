// Resource limits of the frontend: the shared ones live in src/util (io reads them there, not through the frontend).
export { DEFAULT_LIMITS, MAX_DIM, MAX_ELEMENTS, resolveLimits, type Limits } from '../util/limits.js';
