/**
 * The bench runner: `npm run bench` (quick profile) or `npm run bench -- --full`. Being built:
 * see bench/lib/scenario.ts for the contract scenarios follow.
 */
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { full: { type: 'boolean', default: false } } });
console.log(`bench: ${values.full ? 'full' : 'quick'} profile; no scenario is registered yet.`);
