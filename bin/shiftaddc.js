#!/usr/bin/env node
// CLI entry: runs the compiled CLI from dist/ (built by `npm ci` via the prepare script).
import { main } from '../dist/cli.js';

// A closed pipe (e.g. `| head`) ends output quietly instead of crashing with EPIPE.
process.stdout.on('error', (e) => { if (e.code === 'EPIPE') process.exit(0); throw e; });

process.exitCode = await main(process.argv.slice(2));
