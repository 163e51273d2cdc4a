// ESM entry of native-execution-context/domain: node:domain's exports, as named exports, taken
// from the CommonJS module (never a second copy of it, nor of the engine). The module's `active`
// is a getter; like node:domain's own named `active`, the named export is its value when this
// module was first imported (null). Read `domain.active` from the default export instead.
import domain from './index.js';

export const { Domain, create, createDomain, active } = domain;
export default domain;
