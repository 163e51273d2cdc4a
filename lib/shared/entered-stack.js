'use strict';
// Why: cls (contexts) and domain (domains) keep in their engine slot the stack of what was entered
// with enter/run; frames share that stack, so it is built from entries that are never changed,
// only replaced.
//
// What the two faces keep to themselves, because their semantics differ:
// - cls: each entry (a Link) also remembers the frame of the run that created its context (for
//   'end'), and exit(context) takes only that context out, from the middle of the stack if need be
//   (withoutEntry, here because it is generic, copies the links above it);
// - domain: exit(domain) drops that domain and everything entered after it, and an async
//   continuation sees only its own domain entered, not the stack below it (node:domain's rule),
//   which its Entry (a new one per enter or run, told apart by identity) keeps track of.

// One entered item: `value` is the active one, `below` the entry that was active when it was
// entered (undefined: nothing was). The entry is the whole stack: its top.
class EnteredEntry {
  constructor(value, below) {
    this.value = value;
    this.below = below;
  }
}

// The topmost entry at or below `top` whose value is `value`, or undefined.
function findEntry(top, value) {
  for (let entry = top; entry !== undefined; entry = entry.below) {
    if (entry.value === value) return entry;
  }
  return undefined;
}

// Whether `predicate(value)` holds for a value at or below `top`.
function someEntered(top, predicate) {
  for (let entry = top; entry !== undefined; entry = entry.below) {
    if (predicate(entry.value)) return true;
  }
  return false;
}

// The values at and below `top`, bottom first.
function enteredValues(top) {
  const values = [];
  for (let entry = top; entry !== undefined; entry = entry.below) values.push(entry.value);
  return values.reverse();
}

// The stack `top` without `removed` (an entry at or below it): the entries above `removed` are
// copied, by `copy(entry, below)`, onto the ones below it, which are shared.
function withoutEntry(top, removed, copy) {
  const above = [];
  for (let entry = top; entry !== removed; entry = entry.below) above.push(entry);
  let rebuilt = removed.below;
  for (let i = above.length - 1; i >= 0; i--) rebuilt = copy(above[i], rebuilt);
  return rebuilt;
}

module.exports = { EnteredEntry, findEntry, someEntered, enteredValues, withoutEntry };
