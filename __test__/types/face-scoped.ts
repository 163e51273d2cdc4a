// Compiled by types.test.js when lib/scoped/index.d.ts exists: the scoped-store face.
import { AsyncContext } from 'native-execution-context/scoped';

const context = new AsyncContext();
const value = context.runScoped(() => {
  context.store.add('requestId', 'r-1');
  return context.store.get<string>('requestId');
});
const id: string | undefined = value;

export { id };
