/** @type {import('next').NextConfig} */
export default {
  // The Node build of anycable-rs loads a native addon (a .node file), which must be required at
  // run time, not bundled. The Edge routes still bundle it: there `anycable-rs` resolves to its
  // pure-JS Edge build through the `edge-light` export condition.
  serverExternalPackages: ['anycable-rs'],
}
