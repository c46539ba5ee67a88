'use strict'

// Which prebuilt binary this machine needs, and what to say when it is missing.

/** The platforms with a prebuilt `anycable-rs-<target>` package. */
const PREBUILT_TARGETS = ['linux-x64-gnu', 'linux-x64-musl', 'linux-arm64-gnu', 'darwin-x64', 'darwin-arm64', 'win32-x64-msvc']

function isMusl() {
  // glibc reports its version in the process report; musl does not.
  const report = typeof process.report?.getReport === 'function' ? process.report.getReport() : null
  return !report?.header?.glibcVersionRuntime
}

/** The napi target name of a platform, such as `linux-x64-gnu` or `darwin-arm64`. */
function targetOf(platform = process.platform, arch = process.arch, musl = platform === 'linux' && isMusl()) {
  if (platform === 'linux') return `linux-${arch}-${musl ? 'musl' : 'gnu'}`
  if (platform === 'win32') return `win32-${arch}-msvc`
  return `${platform}-${arch}`
}

/** The error for a machine where neither a local build nor the platform package loaded. */
function missingBindingError(target, cause) {
  const build = 'build it from source with Rust (https://rustup.rs) by running `npm run build` in the anycable-rs package'
  const message = PREBUILT_TARGETS.includes(target)
    ? `anycable-rs: the native binary for ${target} is not installed. Install it with ` +
      `\`npm install anycable-rs-${target}\` (npm can skip optional dependencies when a lockfile ` +
      `was made on another platform), or ${build}.`
    : `anycable-rs: there is no prebuilt binary for ${target} (prebuilt: ${PREBUILT_TARGETS.join(', ')}); ${build}.`
  return new Error(message, { cause })
}

module.exports = { PREBUILT_TARGETS, targetOf, missingBindingError }
