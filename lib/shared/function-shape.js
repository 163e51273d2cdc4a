'use strict';
// Why: a function that wraps another (AsyncLocalStorage.bind, AsyncContext.Snapshot.wrap) shows
// the wrapped function's name and length, as Function.prototype.bind's result does.

const hasOwn = Object.prototype.hasOwnProperty;

// The ShadowRealm proposal's CopyNameAndLength(F, Target, prefix) (the steps bind uses): the
// length is the target's own `length` when that is a number (+Infinity kept, -Infinity and NaN
// as 0, otherwise truncated and at least 0), else 0; the name is `${prefix} ${name}`, with ''
// for a name that is not a string.
function copyNameAndLength(wrapper, target, prefix) {
  let length = 0;
  if (hasOwn.call(target, 'length')) {
    const targetLength = target.length;
    if (typeof targetLength === 'number') {
      if (targetLength === Infinity) length = Infinity;
      else if (targetLength === -Infinity || Number.isNaN(targetLength)) length = 0;
      else length = Math.max(Math.trunc(targetLength), 0);
    }
  }
  Object.defineProperty(wrapper, 'length', { value: length, configurable: true });
  let name = target.name;
  if (typeof name !== 'string') name = '';
  Object.defineProperty(wrapper, 'name', { value: `${prefix} ${name}`, configurable: true });
}

module.exports = { copyNameAndLength };
