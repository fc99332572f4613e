import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * ClickHouse for the real-services fixture: found at TALLY_TEST_CLICKHOUSE_URL, else at the
 * default local port, else started from the installed binary as a throw-away server (temporary
 * folder, free ports) that `stop` kills and deletes at the end of the run. Test files each create
 * their own database on it.
 */
export interface ClickHouseService {
  url: string | null;
  /** Why there is no ClickHouse, for the loud skip (or the CI failure). */
  missing: string | null;
  /** Stops the server this fixture started, if it started one. */
  stop(): Promise<void>;
}

export const DEFAULT_CLICKHOUSE_URL = 'http://127.0.0.1:8123';
const CONFIG_FILE = '/etc/clickhouse-server/config.xml';
const BINARIES = ['clickhouse-server', '/usr/sbin/clickhouse-server', '/usr/bin/clickhouse-server'];
const START_TIMEOUT_MS = 30_000;

const nothingToStop = async () => {};

export async function resolveClickHouse(env = process.env): Promise<ClickHouseService> {
  const configured = env['TALLY_TEST_CLICKHOUSE_URL'];
  if (configured) {
    return (await answersPing(configured))
      ? { url: configured, missing: null, stop: nothingToStop }
      : { url: null, missing: `ClickHouse at TALLY_TEST_CLICKHOUSE_URL=${configured} does not answer /ping`, stop: nothingToStop };
  }
  if (await answersPing(DEFAULT_CLICKHOUSE_URL)) return { url: DEFAULT_CLICKHOUSE_URL, missing: null, stop: nothingToStop };
  const binary = findBinary();
  if (!binary) {
    return {
      url: null,
      missing: 'ClickHouse is not reachable and clickhouse-server is not installed (scripts/install-services.sh installs it)',
      stop: nothingToStop,
    };
  }
  try {
    return { ...(await startThrowAway(binary)), missing: null };
  } catch (error) {
    return { url: null, missing: `clickhouse-server could not be started: ${(error as Error).message}`, stop: nothingToStop };
  }
}

async function answersPing(url: string): Promise<boolean> {
  try {
    const response = await fetch(new URL('/ping', url), { signal: AbortSignal.timeout(1000) });
    return response.ok && (await response.text()).trim() === 'Ok.';
  } catch {
    return false;
  }
}

function findBinary(): string | null {
  if (!fs.existsSync(CONFIG_FILE)) return null;
  for (const candidate of BINARIES) {
    if (candidate.includes('/')) {
      if (fs.existsSync(candidate)) return candidate;
      continue;
    }
    for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
      if (dir && fs.existsSync(path.join(dir, candidate))) return path.join(dir, candidate);
    }
  }
  return null;
}

/** Starts clickhouse-server with the packaged config, every path and port overridden. */
async function startThrowAway(binary: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tally-clickhouse-'));
  const [httpPort, tcpPort, interserverPort] = await freePorts(3);
  const child = spawn(
    binary,
    [
      `--config-file=${CONFIG_FILE}`,
      '--',
      `--path=${dir}/`,
      `--tmp_path=${dir}/tmp/`,
      `--user_files_path=${dir}/user_files/`,
      `--format_schema_path=${dir}/format_schemas/`,
      `--http_port=${httpPort}`,
      `--tcp_port=${tcpPort}`,
      `--interserver_http_port=${interserverPort}`,
      `--logger.log=${dir}/clickhouse.log`,
      `--logger.errorlog=${dir}/clickhouse.err.log`,
    ],
    { stdio: 'ignore' },
  );
  // Should the runner die without its teardown, the server still goes with it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const url = `http://127.0.0.1:${httpPort}`;
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    await terminate(child);
    await fsp.rm(dir, { recursive: true, force: true });
  };
  try {
    await waitUntilUp(url, child, dir);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, stop };
}

async function waitUntilUp(url: string, child: ChildProcess, dir: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`it exited (${child.exitCode ?? child.signalCode}): ${await lastLine(path.join(dir, 'clickhouse.err.log'))}`);
    }
    if (await answersPing(url)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`it did not answer /ping within ${START_TIMEOUT_MS / 1000} s`);
}

async function lastLine(file: string): Promise<string> {
  const text = await fsp.readFile(file, 'utf8').catch(() => '');
  return text.trim().split('\n').at(-1) ?? 'no error log';
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Ports the OS says are free now (a small race with other processes is accepted). */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<net.Server>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(server));
    })),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}
