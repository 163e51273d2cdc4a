// Compiled by types.test.js when lib/cls/index.d.ts exists: the cls-hooked face.
import { createNamespace, getNamespace } from 'native-execution-context/cls';

const ns = createNamespace<{ requestId: string }>('types-test');
const id = ns.runAndReturn(() => {
  ns.set('requestId', 'r-1');
  return ns.get('requestId');
});
const value: string | undefined = id;
const again = getNamespace('types-test');

export { value, again };
