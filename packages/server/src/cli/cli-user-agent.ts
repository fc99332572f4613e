import { createRequire } from 'node:module';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

/**
 * What the CLI says it is on every request (`tally-cli/0.1.0`): its sessions are listed as the
 * Tally CLI in Settings, not as an anonymous Node.js program.
 */
export const CLI_USER_AGENT = `tally-cli/${version}`;
