// ESM entry: the same instance as `require('native-execution-context')`, never a second copy.
import instance from './index.js';

export const { ExecutionContext, ExecutionContextError } = instance;
export default instance;
