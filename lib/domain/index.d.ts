// Typings of `native-execution-context/domain`: node:domain's API (as @types/node declares it),
// plus the documented error decorations and the `active` domain.

import { EventEmitter } from 'node:events';

/** What `add`/`remove` accept: an EventEmitter, or a timer from setTimeout/setInterval. */
export type DomainMember = EventEmitter | NodeJS.Timer;

/** Properties a domain sets on the errors it routes to its 'error' listeners. */
export interface DomainErrorProperties {
  /** The domain that first handled the error (non-enumerable). */
  domain?: Domain;
  /** The emitter that emitted the error as an 'error' event. */
  domainEmitter?: EventEmitter;
  /** The callback of `intercept` that got the error as its first argument. */
  domainBound?: Function;
  /** true when the error was thrown; false when it was emitted or intercepted. */
  domainThrown?: boolean;
}

/** An error as a domain's 'error' listener receives it (primitives thrown are passed as is). */
export type DomainError = Error & DomainErrorProperties;

export class Domain extends EventEmitter {
  /** Timers and event emitters explicitly added to this domain with `add`. */
  members: DomainMember[];

  /**
   * The domain this one was explicitly added to (`parent.add(child)`), or null: its 'error'
   * events go there when it has no listener of its own.
   */
  domain: Domain | null;

  /**
   * Makes this domain active (pushes it on the domain stack) for the rest of this execution and
   * everything it starts.
   */
  enter(): void;

  /**
   * Exits this domain and every domain entered after it; does nothing when it is not on the
   * stack of this execution.
   */
  exit(): void;

  /**
   * Runs `fn(...args)` with this domain active (`this` is the domain); returns what `fn` returns.
   * Timers, I/O callbacks, promise handlers and emitters created inside belong to this domain.
   */
  run<T>(fn: (this: Domain, ...args: any[]) => T, ...args: any[]): T;

  /**
   * Explicitly binds an emitter (its 'error' events and its listeners' throws go to this
   * domain) or a timer (its callback runs in this domain), removing it from its previous one.
   */
  add(emitter: DomainMember): void;

  /** Removes an emitter or a timer from this domain. */
  remove(emitter: DomainMember): void;

  /** A function that calls `callback` in this domain; what it throws goes to this domain. */
  bind<T extends Function>(callback: T): T & { readonly domain: Domain };

  /**
   * Like `bind`, but for Node-style callbacks: an Error as the first argument is emitted as this
   * domain's 'error' (and the result is undefined); otherwise `callback` is called in this domain
   * with the arguments after the first.
   */
  intercept<A extends any[], R>(callback: (...args: A) => R): (error: unknown, ...args: A) => R | undefined;

  addListener(event: 'error', listener: (error: DomainError) => void): this;
  addListener(event: string | symbol, listener: (...args: any[]) => void): this;
  on(event: 'error', listener: (error: DomainError) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  once(event: 'error', listener: (error: DomainError) => void): this;
  once(event: string | symbol, listener: (...args: any[]) => void): this;
  prependListener(event: 'error', listener: (error: DomainError) => void): this;
  prependListener(event: string | symbol, listener: (...args: any[]) => void): this;
  prependOnceListener(event: 'error', listener: (error: DomainError) => void): this;
  prependOnceListener(event: string | symbol, listener: (...args: any[]) => void): this;
}

/** A new domain. */
export function create(): Domain;

/** Alias of `create`. */
export function createDomain(): Domain;

/** The domain active here (in this execution or continuation), or null. */
export const active: Domain | null;
