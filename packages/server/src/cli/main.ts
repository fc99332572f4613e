import { parseArgs } from 'node:util';
import { USAGE_FORMAT_NAMES } from '@tally/protocol';
import { ConfigError, loadConfig } from '../config/config.js';
import { cliCredentials, serverUrl } from '../config/cli-connection.js';
import { promptLine } from './prompt-line.js';
import { promptSecret } from './prompt-secret.js';
import { WORKSPACE_USAGE, parseWorkspaceArgs } from './workspace-args.js';

const USAGE = `tally <command> [options]

Commands:
  serve                         run the API, WebSocket gateway, workers and web app
  migrate                       bring the database schema up to date
  ingest FILE [--url URL]       upload a usage file to a server, with progress; the format
         [--email E]                is detected. The server: --url, TALLY_URL, or this machine at
                                    TALLY_PORT / PORT (8080). The password: TALLY_PASSWORD, or asked
         [--workspace W]            a workspace's id or name (default: your personal one)
         [--format F]               ${USAGE_FORMAT_NAMES.slice(0, 7).join(', ')},
                                    ${USAGE_FORMAT_NAMES.slice(7).join(', ')}
         [--mapping FILE.json]      CSV: {"column": "field", ...}
  generate-usage [--out FILE]   write a month of synthetic usage with planted waste
         [--days N] [--seed N]
  prices list                   the admin's price overrides and provider discounts
  prices set MODEL --input X --output Y [--provider P] [--cache-read R] [--cache-write W]
                                price a model (USD per million tokens) instead of the catalog
  prices discount PROVIDER PERCENT
                                a negotiated discount on a provider's catalog prices (0 removes it)
  prices load FILE [--version LABEL]
                                price with a newer genai-prices data file (its data.json)
  user create --email E [--admin]
                                create an account in the configured database; the password
                                from TALLY_PASSWORD, or asked. Refused while a server holds the
                                embedded data folder (create it there: its admin page or API)
${WORKSPACE_USAGE}  smoke [URL] [--email E]       run the golden path against a deployment and check it (the
                                server as for ingest; without --email a throw-away account, deleted at the end)
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
        options: { url: { type: 'string' }, email: { type: 'string' }, password: { type: 'string' }, workspace: { type: 'string' }, format: { type: 'string' }, mapping: { type: 'string' } },
      });
      if (!positionals[0]) throw new UsageError('ingest needs a FILE');
      const email = values.email ?? cliCredentials().email ?? (await promptLine('Email: '));
      return (await import('./ingest-command.js')).ingestCommand({
        file: positionals[0],
        url: serverUrl(values.url),
        email,
        password: values.password ?? cliCredentials().password ?? (email ? await promptSecret(`Password for ${email}: `) : undefined),
        workspace: values.workspace,
        format: values.format,
        mapping: values.mapping,
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
    case 'prices':
      return (await import('./prices-command.js')).pricesCommand(loadConfig(), pricesAction(rest));
    case 'user':
      return (await import('./user-command.js')).userCommand(loadConfig(), await userAction(rest));
    case 'smoke': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { email: { type: 'string' }, password: { type: 'string' } },
      });
      const email = values.email ?? cliCredentials().email;
      return (await import('./smoke-command.js')).smokeCommand({
        url: serverUrl(positionals[0]),
        email,
        password: values.password ?? cliCredentials().password ?? (email ? await promptSecret(`Password for ${email}: `) : undefined),
      });
    }
    case 'workspace': {
      let parsed: ReturnType<typeof parseWorkspaceArgs>;
      try {
        parsed = parseWorkspaceArgs(rest);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      const email = parsed.email ?? cliCredentials().email ?? (await promptLine('Email: '));
      const password = parsed.password ?? cliCredentials().password ?? (email ? await promptSecret(`Password for ${email}: `) : undefined);
      if (!email || !password) throw new UsageError('workspace needs an account: --as E or TALLY_EMAIL, and TALLY_PASSWORD or a terminal to be asked');
      return (await import('./workspace-command.js')).workspaceCommand({ url: serverUrl(parsed.url), email, password, action: parsed.action });
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

async function userAction(args: string[]): Promise<import('./user-command.js').UserCreateAction> {
  const [sub, ...rest] = args;
  if (sub !== 'create') throw new UsageError('user needs create');
  const { values } = parseArgs({ args: rest, options: { email: { type: 'string' }, password: { type: 'string' }, admin: { type: 'boolean' } } });
  if (!values.email) throw new UsageError('user create needs --email E');
  // --password still works, but the shell history keeps it: TALLY_PASSWORD or the prompt do not.
  const password = values.password ?? cliCredentials().password ?? (await promptSecret(`Password for ${values.email}: `));
  if (!password) throw new UsageError('user create needs a password: set TALLY_PASSWORD, or run it in a terminal to be asked');
  return { kind: 'create', email: values.email, password, role: values.admin ? 'admin' : 'member' };
}

function pricesAction(args: string[]): import('./prices-command.js').PricesAction {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { input: { type: 'string' }, output: { type: 'string' }, provider: { type: 'string' }, 'cache-read': { type: 'string' }, 'cache-write': { type: 'string' }, version: { type: 'string' } },
  });
  switch (sub) {
    case 'list':
      return { kind: 'list' };
    case 'set': {
      if (!positionals[0] || values.input === undefined || values.output === undefined) throw new UsageError('prices set needs MODEL --input X --output Y');
      return {
        kind: 'set',
        model: positionals[0],
        inputPerMTok: price(values.input, '--input'),
        outputPerMTok: price(values.output, '--output'),
        ...(values.provider ? { provider: values.provider } : {}),
        ...(values['cache-read'] === undefined ? {} : { cacheReadPerMTok: price(values['cache-read'], '--cache-read') }),
        ...(values['cache-write'] === undefined ? {} : { cacheWritePerMTok: price(values['cache-write'], '--cache-write') }),
      };
    }
    case 'discount': {
      const percent = Number(positionals[1]);
      if (!positionals[0] || positionals[1] === undefined || !(percent >= 0 && percent < 100)) throw new UsageError('prices discount needs PROVIDER and a PERCENT from 0 to less than 100');
      return { kind: 'discount', provider: positionals[0], percent };
    }
    case 'load':
      if (!positionals[0]) throw new UsageError('prices load needs a FILE (a genai-prices data.json)');
      return { kind: 'load', file: positionals[0], ...(values.version ? { version: values.version } : {}) };
    default:
      throw new UsageError('prices needs list, set, discount or load');
  }
}

function price(value: string, name: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`${name} must be a price of 0 or more (USD per million tokens)`);
  return n;
}

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
