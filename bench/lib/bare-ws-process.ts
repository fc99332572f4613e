import path from 'node:path';
import { REPO_ROOT, startMeasuredProcess, type MeasuredProcess } from './child.js';

export interface BareWsProcess extends MeasuredProcess {
  readonly wsUrl: string;
  close(): Promise<void>;
}

/** Starts the bare `ws` baseline (bench/baselines/bare-ws-server.ts) in its own process, probed like Tally. */
export async function startBareWs(options: { template?: string; deltas?: number; deltaDelayMs?: number } = {}): Promise<BareWsProcess> {
  const args = [...(options.template ? ['--template', options.template] : []), '--deltas', String(options.deltas ?? 100), '--delta-delay-ms', String(options.deltaDelayMs ?? 20)];
  const { process: child, ready: port } = await startMeasuredProcess({
    script: path.join(REPO_ROOT, 'bench/baselines/bare-ws-server.ts'),
    args,
    ready: (line) => /bare-ws listening on (\d+)/.exec(line)?.[1],
  });
  return { ...child, wsUrl: `ws://127.0.0.1:${port}/`, close: () => child.stop() };
}
