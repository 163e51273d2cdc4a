// ESM entry of native-execution-context/als: node:async_hooks' AsyncLocalStorage, as named exports, taken from
// the CommonJS module (never a second copy of it, nor of the engine).
import face from './index.js';

export const { AsyncLocalStorage } = face;
export default face;
