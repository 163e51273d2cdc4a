// Compiled by types.test.js when lib/async-context/index.d.ts exists: the TC39 AsyncContext face.
import { AsyncContext } from 'native-execution-context/async-context';

const variable = new AsyncContext.Variable<number>({ name: 'n', defaultValue: 0 });
const value: number | undefined = variable.run(1, () => variable.get());
const snapshot = new AsyncContext.Snapshot();
const again: number | undefined = snapshot.run(() => variable.get());

export { value, again };
