// Compiled by types.test.js when lib/als/index.d.ts exists: the AsyncLocalStorage face.
import { AsyncLocalStorage } from 'native-execution-context/als';

const storage = new AsyncLocalStorage<{ requestId: string }>();
const id: string | undefined = storage.run({ requestId: 'r-1' }, () => storage.getStore()?.requestId);

export { id };
