// Deliberately plain ES5-era syntax: this must run (and explain itself) on any old Node.
'use strict';
var MIN_MAJOR = 22;
var MIN_MINOR = 18;
var parts = process.versions.node.split('.');
var major = parseInt(parts[0], 10);
var minor = parseInt(parts[1], 10);
var installer = process.argv.indexOf('--installer') !== -1;
if (installer) {
  // During `pnpm install` the system Node runs this; the project's own Node 24
  // (devDependency `node`) is installed by that same install. Only refuse Node < 18.
  if (major < 18) {
    console.error(
      'ripple: Node ' +
        process.versions.node +
        ' is too old to install with pnpm 10. Install Node 18+ (24 LTS recommended).',
    );
    process.exit(1);
  }
  process.exit(0);
}
if (major < MIN_MAJOR || (major === MIN_MAJOR && minor < MIN_MINOR)) {
  console.error(
    'ripple: this needs Node >= ' +
      MIN_MAJOR +
      '.' +
      MIN_MINOR +
      ' (24 LTS recommended), but `node` here is ' +
      process.versions.node +
      ' (' +
      process.execPath +
      ').\n' +
      'Run it through pnpm (`pnpm install` then `pnpm <script>`): pnpm puts the Node 24 binary from the\n' +
      '`node` devDependency first on PATH. Or install Node 24 LTS yourself.',
  );
  process.exit(1);
}
