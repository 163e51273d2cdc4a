'use strict';
// Loads the private generated binding; a missing binary becomes one message that says what to do.

let native;
try {
  native = require('../../binding.js');
} catch (cause) {
  const target = `${process.platform}-${process.arch}`;
  throw new Error(
    `native-execution-context: no native addon could be loaded for ${target} (Node.js ${process.version}). ` +
      'Either install on a platform with a prebuilt binary, or install a Rust toolchain (https://rustup.rs) ' +
      'and run `npm rebuild native-execution-context` to build it from source. ' +
      `Loader error: ${cause && cause.message}`,
    { cause },
  );
}

module.exports = native;
