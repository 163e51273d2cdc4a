// ESM entry of native-execution-context/cls: cls-hooked's exports, as named exports, taken from
// the CommonJS module (never a second copy of it, nor of the engine).
import face from './index.js';

export const { getNamespace, createNamespace, destroyNamespace, reset, ERROR_SYMBOL } = face;
export default face;
