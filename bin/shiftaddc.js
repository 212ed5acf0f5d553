#!/usr/bin/env node
// CLI entry: runs the compiled CLI from dist/ (built by `npm ci` via the prepare script).
import { main } from '../dist/cli.js';

process.exitCode = await main(process.argv.slice(2));
