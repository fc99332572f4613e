import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/config.js';

const USAGE = `tally <command> [options]

Commands:
  serve                         run the API, WebSocket gateway, workers and web app
  migrate                       bring the database schema up to date
  ingest FILE [--url URL]       upload a usage file (NDJSON) to a server, with progress
         [--email E --password P]   (or TALLY_EMAIL / TALLY_PASSWORD)
  generate-usage [--out FILE]   write a month of synthetic usage with planted waste
         [--days N] [--seed N]
  smoke URL [--email E --password P]
                                run the golden path against a deployment and check it
`;

/** Dispatches a subcommand. Each command module is loaded only when used. */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return (await import('./serve-command.js')).serveCommand(loadConfig());
    case 'migrate':
      return (await import('./migrate-command.js')).migrateCommand(loadConfig());
    case 'ingest': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { url: { type: 'string' }, email: { type: 'string' }, password: { type: 'string' } },
      });
      if (!positionals[0]) throw new UsageError('ingest needs a FILE');
      return (await import('./ingest-command.js')).ingestCommand({
        file: positionals[0],
        url: values.url ?? process.env['TALLY_URL'] ?? 'http://127.0.0.1:8080',
        email: values.email ?? process.env['TALLY_EMAIL'],
        password: values.password ?? process.env['TALLY_PASSWORD'],
      });
    }
    case 'generate-usage': {
      const { values } = parseArgs({
        args: rest,
        options: { out: { type: 'string' }, days: { type: 'string' }, seed: { type: 'string' } },
      });
      return (await import('./generate-usage-command.js')).generateUsageCommand({
        out: values.out,
        days: values.days ? positiveInt(values.days, '--days') : 30,
        seed: values.seed ? positiveInt(values.seed, '--seed') : 42,
      });
    }
    case 'smoke': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { email: { type: 'string' }, password: { type: 'string' } },
      });
      if (!positionals[0]) throw new UsageError('smoke needs a URL');
      return (await import('./smoke-command.js')).smokeCommand({
        url: positionals[0],
        email: values.email ?? process.env['TALLY_EMAIL'],
        password: values.password ?? process.env['TALLY_PASSWORD'],
      });
    }
    case undefined:
    case 'help':
    case '--help':
      process.stdout.write(USAGE);
      return command ? 0 : 2;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

class UsageError extends Error {}

function positiveInt(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} must be a positive whole number`);
  return n;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`tally: ${error.message}\n`);
    } else if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`tally: ${(error as Error).message}\n\n${USAGE}`);
    } else {
      process.stderr.write(`tally: ${error instanceof Error ? error.message : String(error)}\n`);
    }
    process.exitCode = 1;
  },
);
