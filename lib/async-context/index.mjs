// ESM entry of native-execution-context/async-context: the TC39 AsyncContext and its Variable and Snapshot, as named exports, taken from
// the CommonJS module (never a second copy of it, nor of the engine).
import face from './index.js';

export const { AsyncContext, Variable, Snapshot } = face;
export default face;
