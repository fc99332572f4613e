import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

/**
 * A `tally serve` node in its own process, for tests where nodes die for real (SIGKILL,
 * SIGTERM). Its address and node id are read off its start-up log line.
 */
export interface NodeProcess {
  url: string;
  wsUrl: string;
  nodeId: string;
  child: ChildProcess;
  /** Resolves with the exit code (or signal) when the process has ended. */
  exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): Promise<number | string>;
  /** The node's log lines so far (JSON), for diagnosing a failure. */
  log: string[];
}

const root = path.resolve(import.meta.dirname, '../../../..');

export async function startNodeProcess(env: Record<string, string>, timeoutMs = 30_000): Promise<NodeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'packages/server/src/cli/main.ts', 'serve'], {
    cwd: root,
    env: { ...process.env, TALLY_HOST: '127.0.0.1', TALLY_PORT: '0', TALLY_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const up = new Promise<{ address: string; nodeId: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node did not start in ${timeoutMs} ms:\n${log.slice(-20).join('\n')}`)), timeoutMs);
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      log.push(line);
      if (!line.includes('Tally is up')) return;
      const parsed = JSON.parse(line) as { address: string; nodeId: string };
      clearTimeout(timer);
      resolve(parsed);
    });
    readline.createInterface({ input: child.stderr! }).on('line', (line) => log.push(`stderr: ${line}`));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`node exited (${code}) before it was up:\n${log.slice(-20).join('\n')}`));
    });
  });
  const { address, nodeId } = await up;
  return {
    url: address,
    wsUrl: address.replace(/^http/, 'ws') + '/v1/ws',
    nodeId,
    child,
    exited,
    log,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
