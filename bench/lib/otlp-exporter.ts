/**
 * A load exporter in a process of its own: pushes prepared 512-span OTLP requests to a node as fast as
 * it answers, `inFlight` at once, until told to stop. Its own process, because sending ~100 KB bodies
 * at tens of requests a second is real event-loop work: in the harness's process it delayed the
 * harness's own sockets, and the bystanders' delivery latency it measures with them.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ExporterPushResult {
  /** Spans answered 200 (stored, or found already stored). */
  stored: number;
  /** Requests answered 429/503 (not retried: the load exporter moves on). */
  refused: number;
  seconds: number;
}

export type OtlpExporterParentMessage =
  | { type: 'prepare'; rounds: number; requestsPerRound: number }
  | { type: 'push'; round: number; url: string; token: string; inFlight: number }
  | { type: 'stop' };
export type OtlpExporterChildMessage = { type: 'prepared' } | { type: 'stopped'; result: ExporterPushResult } | { type: 'failed'; message: string };

export interface OtlpLoadExporter {
  /** Its process, to read the CPU it uses. */
  readonly pid: number;
  /** Starts pushing round `round`'s requests (fresh spans per round); resolves once the first answers came back. */
  push(round: number, target: { url: string; token: string; inFlight: number }): Promise<void>;
  /** Stops pushing; what it achieved since `push`. Fails if the round's requests ran out before. */
  stop(): Promise<ExporterPushResult>;
  close(): Promise<void>;
}

export async function startOtlpLoadExporter(options: { rounds: number; requestsPerRound: number }): Promise<OtlpLoadExporter> {
  const entry = path.join(path.dirname(fileURLToPath(import.meta.url)), 'otlp-exporter-main.ts');
  const child: ChildProcess = fork(entry, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = (type: OtlpExporterChildMessage['type']) =>
    new Promise<OtlpExporterChildMessage>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`otlp-exporter: the child process exited (${code})`));
      const onMessage = (message: OtlpExporterChildMessage) => {
        if (message.type !== type && message.type !== 'failed') return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (message.type === 'failed') reject(new Error(`otlp-exporter: ${message.message}`));
        else resolve(message);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const prepared = next('prepared');
  child.send({ type: 'prepare', rounds: options.rounds, requestsPerRound: options.requestsPerRound } satisfies OtlpExporterParentMessage);
  await prepared;
  return {
    pid: child.pid!,
    async push(round, target) {
      child.send({ type: 'push', round, ...target } satisfies OtlpExporterParentMessage);
      // Up to speed before the measured load starts.
      await new Promise((resolve) => setTimeout(resolve, 500));
    },
    async stop() {
      const stopped = next('stopped');
      child.send({ type: 'stop' } satisfies OtlpExporterParentMessage);
      const message = await stopped;
      if (message.type !== 'stopped') throw new Error('otlp-exporter: unexpected answer');
      return message.result;
    },
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((done) => child.once('exit', () => done()));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
