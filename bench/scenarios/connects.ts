import { WS_BEARER_PREFIX, WS_SUBPROTOCOL } from '@tally/protocol';
import { createBenchUsers, fetchTicket, type BenchUser } from '../lib/bench-users.js';
import { startBareWs } from '../lib/bare-ws-process.js';
import { mapLimited, sleep } from '../lib/concurrency.js';
import type { Figure, Scenario } from '../lib/scenario.js';
import { startTally } from '../lib/tally-process.js';
import { BenchSocket } from '../lib/ws-client.js';

const IN_FLIGHT = 64;

/**
 * Authenticated connects per second: N sockets opened with at most 64 connects in flight, each a
 * ticket request (POST /v1/ws-tickets with the access token) and an upgrade redeeming it, as the
 * web app connects; also with the bearer subprotocol (no ticket round trip). The baseline is the
 * same number of bare ws upgrades. Rounds alternate Tally and bare ws; sockets are closed between
 * rounds, outside the timing.
 */
export const connects: Scenario = {
  name: 'connects',
  quick: true,
  async run(ctx) {
    const full = ctx.profile === 'full';
    const perRound = full ? 10_000 : 2_000;
    const rounds = full ? 3 : 2;
    const tally = await startTally();
    const bare = await startBareWs();
    try {
      const users = await createBenchUsers(tally.url, Math.ceil(perRound / 50));
      const userOf = (i: number): BenchUser => users[i % users.length]!;
      const rates = { ticket: [] as number[], bearer: [] as number[], bare: [] as number[] };
      const warm = async () => {
        await timeConnects(300, (i) => openWithTicket(tally.wsUrl, tally.url, userOf(i)));
        await timeConnects(300, () => BenchSocket.open(bare.wsUrl));
      };
      await warm();
      for (let round = 1; round <= rounds; round++) {
        const steps: Array<[keyof typeof rates, (i: number) => Promise<BenchSocket>]> = [
          ['ticket', (i) => openWithTicket(tally.wsUrl, tally.url, userOf(i))],
          ['bare', () => BenchSocket.open(bare.wsUrl)],
          ['bearer', (i) => BenchSocket.open(tally.wsUrl, { protocols: [WS_SUBPROTOCOL, WS_BEARER_PREFIX + userOf(i).accessToken] })],
        ];
        if (round % 2 === 0) steps.reverse();
        for (const [kind, open] of steps) {
          const rate = await timeConnects(perRound, open);
          rates[kind].push(rate);
          ctx.log(`round ${round}/${rounds}: ${kind} ${Math.round(rate)} connects/s`);
        }
      }
      const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
      const figures: Figure[] = [
        {
          name: 'authenticated connects (ticket + upgrade)',
          unit: 'connects/s',
          tally: median(rates.ticket),
          baseline: median(rates.bare),
          baselineName: 'bare ws upgrades',
          target: { min: 3500, minRatio: 0.8 },
          note: `${perRound} connects per round, ${IN_FLIGHT} in flight, median of ${rounds} rounds; each is POST /v1/ws-tickets then the upgrade (ticket redeemed, session and account checked, socket slot claimed). The harness is the client: its own handshake work shares the 2 cores.`,
        },
        {
          name: 'authenticated connects (bearer subprotocol)',
          unit: 'connects/s',
          tally: median(rates.bearer),
          baseline: median(rates.bare),
          baselineName: 'bare ws upgrades',
          target: { min: 3500, minRatio: 0.8 },
          note: 'The access token in Sec-WebSocket-Protocol: one HTTP exchange per connect, like the baseline (JWT verified, session and account checked, slot claimed).',
        },
      ];
      return { scenario: 'connects', figures };
    } finally {
      await Promise.all([tally.close(), bare.close()]);
    }
  },
};

async function openWithTicket(wsUrl: string, baseUrl: string, user: BenchUser): Promise<BenchSocket> {
  return BenchSocket.open(`${wsUrl}?ticket=${await fetchTicket(baseUrl, user)}`);
}

/** Opens `count` sockets, at most IN_FLIGHT at once; the rate is over the opening only; then closes them. */
async function timeConnects(count: number, open: (index: number) => Promise<BenchSocket>): Promise<number> {
  const started = performance.now();
  const sockets = await mapLimited(Array.from({ length: count }, (_, i) => i), IN_FLIGHT, (i) => open(i));
  const seconds = (performance.now() - started) / 1000;
  await mapLimited(sockets, 500, (s) => s.close());
  // Let the server finish its close work before the next round is timed.
  await sleep(500);
  return count / seconds;
}
