import { WS_BEARER_PREFIX, WS_SUBPROTOCOL } from '@tally/protocol';
import { createBenchUsers, fetchTicket, logInSessions, type BenchUser } from '../lib/bench-users.js';
import { startBareWs } from '../lib/bare-ws-process.js';
import { mapLimited, sleep } from '../lib/concurrency.js';
import { alternate, spreadOf, spreadText } from '../lib/round-stats.js';
import type { Figure, Scenario } from '../lib/scenario.js';
import { startTally } from '../lib/tally-process.js';
import { BenchSocket } from '../lib/ws-client.js';

const IN_FLIGHT = 64;
const USERS = 40;

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
    // Quick: 1,000 (each a log-in of its own first, ~25 ms of argon2 apiece).
    const perRound = full ? 10_000 : 1_000;
    const rounds = 3;
    const tally = await startTally();
    const bare = await startBareWs();
    try {
      // One session per socket of a round (a log-in each): no connect of a round finds its session in
      // the node's memory of sessions (1 s), which a round's other sockets would have filled otherwise.
      const users = await createBenchUsers(tally.url, USERS);
      const loginStarted = performance.now();
      const sessions = await logInSessions(tally.url, users, Math.ceil(perRound / USERS));
      ctx.log(`${sessions.length} sessions (log-ins) in ${((performance.now() - loginStarted) / 1000).toFixed(1)} s`);
      const userOf = (i: number): BenchUser => sessions[i % sessions.length]!;
      const rates = { ticket: [] as number[], bearer: [] as number[], bare: [] as number[] };
      const warm = async () => {
        await timeConnects(300, (i) => openWithTicket(tally.wsUrl, tally.url, userOf(i)));
        await timeConnects(300, () => BenchSocket.open(bare.wsUrl));
      };
      await warm();
      for (let round = 1; round <= rounds; round++) {
        const tallySteps: Array<[keyof typeof rates, (i: number) => Promise<BenchSocket>]> = [
          ['ticket', (i) => openWithTicket(tally.wsUrl, tally.url, userOf(i))],
          ['bearer', (i) => BenchSocket.open(tally.wsUrl, { protocols: [WS_SUBPROTOCOL, WS_BEARER_PREFIX + userOf(i).accessToken] })],
        ];
        if (round % 2 === 0) tallySteps.reverse();
        const bareStep: [keyof typeof rates, (i: number) => Promise<BenchSocket>] = ['bare', () => BenchSocket.open(bare.wsUrl)];
        // Bare ws first in odd rounds, after both Tally steps in even ones.
        const [first, second] = alternate(round, [bareStep], tallySteps);
        for (const [kind, open] of [...first, ...second]) {
          const rate = await timeConnects(perRound, open);
          rates[kind].push(rate);
          ctx.log(`round ${round}/${rounds}: ${kind} ${Math.round(rate)} connects/s`);
        }
      }
      const spread = { ticket: spreadOf(rates.ticket), bearer: spreadOf(rates.bearer), bare: spreadOf(rates.bare) };
      const spreads = `Tally ticket ${spreadText(spread.ticket, 0)}, bearer ${spreadText(spread.bearer, 0)}; bare ws ${spreadText(spread.bare, 0)} connects/s.`;
      const figures: Figure[] = [
        {
          name: 'authenticated connects (ticket + upgrade)',
          unit: 'connects/s',
          tally: spread.ticket.median,
          baseline: spread.bare.median,
          baselineName: 'bare ws upgrades',
          target: { min: 3500, minRatio: 0.8 },
          note:
            `${perRound} connects per round, ${IN_FLIGHT} in flight, median of ${rounds} rounds, alternating which side goes first; each is POST /v1/ws-tickets then the upgrade (ticket redeemed, session and account read, socket slot claimed). ` +
            `A freshly started node (embedded PGlite); every socket of a round has a session of its own (${sessions.length} log-ins of ${USERS} accounts), so each connect reads its session (rounds are further apart than the node's 1-s memory of sessions). ${spreads} The harness is the client: its own handshake work shares the 2 cores.`,
        },
        {
          name: 'authenticated connects (bearer subprotocol)',
          unit: 'connects/s',
          tally: spread.bearer.median,
          baseline: spread.bare.median,
          baselineName: 'bare ws upgrades',
          target: { min: 3500, minRatio: 0.8 },
          note: `The access token in Sec-WebSocket-Protocol: one HTTP exchange per connect, like the baseline (JWT verified, session and account read, slot claimed); one session per socket of a round, as above. ${spreads}`,
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
