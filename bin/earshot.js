#!/usr/bin/env node
// Entry point of the `earshot` command. The sources are TypeScript run through tsx,
// so there is no build step between a clone and `npm start`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../packages/server/src/cli.ts');
process.exitCode = await main(process.argv.slice(2));
