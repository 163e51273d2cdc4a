// ESM entry of native-execution-context/scoped: AsyncContext and AsyncStore, as named exports, taken from
// the CommonJS module (never a second copy of it, nor of the engine).
import face from './index.js';

export const { AsyncContext, AsyncStore } = face;
export default face;
