import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page, type WebSocketRoute } from 'playwright-core';
import { RunEventSchema, type RunEvent } from '@tally/protocol';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { Markdown } from '../../src/components/Markdown.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const WEB_DIST = path.resolve(here, '../../dist');
export const SCREENSHOT_DIR = path.resolve(here, '../../../../test-artifacts/screenshots');
/** Debian's Chromium; no browser is downloaded. TALLY_CHROMIUM points elsewhere. */
const CHROMIUM = process.env['TALLY_CHROMIUM'] ?? '/usr/bin/chromium';

/** The server serves the web app only once it is built; say how to build it rather than fail obscurely. */
export function requireWebBuild(): void {
  if (!fs.existsSync(path.join(WEB_DIST, 'index.html'))) {
    throw new Error(`The web app is not built (${WEB_DIST}/index.html is missing): run \`npm run build -w @tally/web\` first (\`npm test\` does it).`);
  }
}

export function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}; install it or set TALLY_CHROMIUM.`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 20_000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface RunSocketWatch {
  /** Every run event the server sent the page, live over its sockets or over REST from a run's log, across reloads. */
  events: RunEvent[];
  /**
   * Hands the page the first run event that matches, then holds back the run events after it
   * (acks still pass) until release(): the page stays frozen mid-run for as long as the test looks.
   */
  holdAfter(match: (event: RunEvent) => boolean): Promise<void>;
  release(): void;
  /** Every frame the server sent the page over its sockets, parsed, in order (for isolation checks). */
  frames: unknown[];
  /** Ends the page's open sockets as a lost network would (the page sees them close and reconnects). */
  dropConnections(): void;
}

/** Puts the test between the page and the server on the run socket (Playwright's WebSocket routing). */
export async function watchRunSocket(page: Page): Promise<RunSocketWatch> {
  const events: RunEvent[] = [];
  const seen = new Set<string>(); // a replay after a reload sends the same events again
  const record = (value: unknown): RunEvent | null => {
    const parsed = RunEventSchema.safeParse(value);
    if (!parsed.success) return null;
    const key = `${parsed.data.runId}:${parsed.data.seq}`;
    if (!seen.has(key)) events.push(parsed.data);
    seen.add(key);
    return parsed.data;
  };
  let trigger: { match: (event: RunEvent) => boolean; start: () => void } | null = null;
  let held: Array<() => void> | null = null;
  const frames: unknown[] = [];
  const live = new Set<{ page: WebSocketRoute; server: WebSocketRoute }>();

  await page.routeWebSocket(/\/v1\/ws/, (socket) => {
    const server = socket.connectToServer();
    const pair = { page: socket, server };
    live.add(pair);
    socket.onClose(() => live.delete(pair));
    socket.onMessage((message) => server.send(message));
    server.onMessage((message) => {
      const frame: unknown = typeof message === 'string' ? JSON.parse(message) : null;
      if (frame !== null) frames.push(frame);
      const event = frame !== null ? record(frame) : null;
      if (event && held) return void held.push(() => socket.send(message));
      socket.send(message);
      if (event && trigger?.match(event)) trigger.start();
    });
  });
  page.on('response', (response) => {
    if (!/\/v1\/workspaces\/[^/]+\/runs\/[^/]+\/events/.test(response.url()) || !response.ok()) return;
    response.json().then(
      (body: { events?: unknown[] }) => body.events?.forEach(record),
      () => undefined, // the page went away with the body
    );
  });
  return {
    events,
    frames,
    dropConnections: () => {
      for (const pair of [...live]) {
        live.delete(pair);
        // 4000 (heartbeat timeout) is what a dead link looks like to the client: reconnect and resume.
        void pair.page.close({ code: 4000, reason: 'network lost (test)' }).catch(() => undefined);
        void pair.server.close().catch(() => undefined);
      }
    },
    holdAfter: (match) =>
      new Promise((resolve) => {
        trigger = {
          match,
          start: () => {
            held = [];
            trigger = null;
            resolve();
          },
        };
      }),
    release: () => {
      const pending = held ?? [];
      held = null;
      for (const send of pending) send();
    },
  };
}

/** The visible text of an answer as the page's markdown renderer shows it, with all whitespace removed. */
export function renderedTextOf(markdown: string): string {
  const html = renderToStaticMarkup(createElement(Markdown, { source: markdown }));
  const text = html.replace(/<[^>]*>/g, '').replace(/&(lt|gt|quot|#x27|amp);/g, (_, e: string) => ENTITIES[e]!);
  return squash(text);
}
const ENTITIES: Record<string, string> = { lt: '<', gt: '>', quot: '"', '#x27': "'", amp: '&' };

export const squash = (text: string): string => text.replace(/\s+/g, '');

/** The page as the user sees it (the app scrolls inside its regions, so this is the viewport). */
export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`) });
}
