import { createClient, ClickHouseLogLevel, type ClickHouseClient } from '@clickhouse/client';
import { identifier } from './clickhouse-literals.js';

export interface ClickHouseConnectionOptions {
  /** `http(s)://[user:password@]host:port[/database]`; the path, when there is one, names the database. */
  url: string;
  /** The database to use, over the URL's path; `tally` when neither names one. */
  database?: string;
  /** Per-request timeout; analysis over a large owner can take a while. */
  requestTimeoutMs?: number;
}

/** An HTTP client for the server of the URL, and the database to use on it. */
export function connectClickHouse(options: ClickHouseConnectionOptions): { client: ClickHouseClient; database: string } {
  const { serverUrl, database } = splitUrl(options.url, options.database);
  const client = createClient({
    url: serverUrl,
    application: 'tally',
    request_timeout: options.requestTimeoutMs ?? 300_000,
    // Counts and sums (UInt64) as JSON numbers: exact below 2^53, like the SQL store's float8.
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    // Older servers close idle connections after 3 s: drop ours well before, and check a socket's
    // age when reusing it, since a busy event loop can delay the timer past the server's close.
    keep_alive: { idle_socket_ttl: 2000, eagerly_destroy_stale_sockets: true },
    // Errors reach the caller through the rejected promise; the client need not log them too.
    log: { level: ClickHouseLogLevel.OFF },
  });
  return { client, database };
}

const DATABASE_FROM_PATH = /^\/([A-Za-z_][A-Za-z0-9_]{0,63})\/?$/;

/** The server's URL without a path, and the database: the option, else the URL's path, else `tally`. */
function splitUrl(url: string, database: string | undefined): { serverUrl: string; database: string } {
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new TypeError(`ClickHouse URL must be http(s)://, got ${parsed.protocol}`);
  const path = parsed.pathname === '/' ? '' : parsed.pathname;
  const fromPath = path ? DATABASE_FROM_PATH.exec(path)?.[1] : undefined;
  if (path && !fromPath) throw new TypeError(`ClickHouse URL path must be a database name, got ${path}`);
  parsed.pathname = '/';
  const name = database ?? fromPath ?? 'tally';
  identifier(name); // validated once here; every statement goes through the encoder again
  return { serverUrl: parsed.toString(), database: name };
}
