#!/usr/bin/env node
// CLI entry: runs the CLI bundled into one file, dist/shiftaddc.mjs (esbuild, built with the rest of dist/ by
// `npm run build`, which `npm ci` runs via the prepare script); loading it is ~3x faster than dist/cli.js's ~155 modules.
const argv = process.argv.slice(2);

// --debug prints stack traces: map them through the bundle's source map to src/*.ts lines (only then: it costs).
if (argv.includes('--debug')) process.setSourceMapsEnabled(true);

// A closed pipe (e.g. `| head`) ends output quietly instead of crashing with EPIPE.
process.stdout.on('error', (e) => { if (e.code === 'EPIPE') process.exit(0); throw e; });

const { main } = await import('../dist/shiftaddc.mjs');
process.exitCode = await main(argv);
