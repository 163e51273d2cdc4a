'use strict';
// `npm install` hook. In a git checkout it always builds the addon from source with cargo, so
// the binary matches the Rust sources. Installed as a dependency it keeps a prebuilt binary
// that loads, builds from source when none does and cargo exists, and otherwise only warns:
// loading then fails with one message that says what to do.

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const BINARY_NAME = 'native-execution-context';

function platformArchAbi() {
  const { platform, arch } = process;
  if (platform === 'linux') {
    const glibc = process.report?.getReport()?.header?.glibcVersionRuntime;
    return `linux-${arch}-${glibc ? 'gnu' : 'musl'}`;
  }
  if (platform === 'win32') return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

function libraryFileName() {
  if (process.platform === 'win32') return 'native_execution_context.dll';
  if (process.platform === 'darwin') return 'libnative_execution_context.dylib';
  return 'libnative_execution_context.so';
}

function prebuiltLoads() {
  const probe = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(path.join(ROOT, 'binding.js'))})`], { stdio: 'ignore' });
  return probe.status === 0;
}

function hasCargo() {
  return spawnSync('cargo', ['--version'], { stdio: 'ignore' }).status === 0;
}

function buildFromSource() {
  console.log('native-execution-context: building the native addon from source with cargo (release)...');
  const build = spawnSync('cargo', ['build', '--release', '--locked'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) {
    console.error('native-execution-context: `cargo build --release` failed; see the output above.');
    process.exit(build.status || 1);
  }
  const targetDir = process.env.CARGO_TARGET_DIR || path.join(ROOT, 'target');
  const built = path.join(targetDir, 'release', libraryFileName());
  const destination = path.join(ROOT, `${BINARY_NAME}.${platformArchAbi()}.node`);
  fs.copyFileSync(built, destination);
  console.log(`native-execution-context: built ${path.relative(ROOT, destination)}`);
}

function main() {
  const inCheckout = fs.existsSync(path.join(ROOT, '.git'));
  if (process.env.NATIVE_EXECUTION_CONTEXT_SKIP_BUILD === '1') {
    console.log('native-execution-context: NATIVE_EXECUTION_CONTEXT_SKIP_BUILD=1, not building.');
  } else if (!inCheckout && prebuiltLoads()) {
    // A prebuilt binary for this platform is installed: nothing to do.
  } else if (hasCargo()) {
    buildFromSource();
  } else {
    console.warn(
      `native-execution-context: no prebuilt binary for ${platformArchAbi()} and no Rust toolchain found. ` +
        'Install Rust (https://rustup.rs) and run `npm rebuild native-execution-context`.',
    );
  }
}

module.exports = { platformArchAbi };

if (require.main === module) main();
