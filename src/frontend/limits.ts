// Resource limits of the frontend: the shared ones from src/util (io reads them there, not through the frontend).
export { MAX_DIM, MAX_ELEMENTS } from '../util/limits.js';
