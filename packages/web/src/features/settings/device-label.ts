import Bowser from 'bowser';

/** Agents of programs rather than browsers, which Bowser does not name: the CLI and scripts. */
const PROGRAMS: Array<[RegExp, string]> = [
  [/^tally(?:-cli)?\/(\d[\w.]*)/i, 'Tally CLI'],
  [/^(?:node|undici)\b/i, 'Command line (Node.js)'],
  [/^curl\/(\d+)/i, 'curl'],
];

/**
 * A session's user agent as people say it ("Chrome 126 on macOS", "Tally CLI 0.1"); the raw
 * string when it is none Bowser or the program list knows, so nothing is hidden.
 */
export function deviceLabel(userAgent: string): string {
  const ua = userAgent.trim();
  if (ua === '') return 'Unknown device';
  const program = PROGRAMS.find(([pattern]) => pattern.test(ua));
  if (program) {
    const version = program[0].exec(ua)?.[1];
    return version ? `${program[1]} ${version}` : program[1];
  }
  const parsed = Bowser.parse(ua);
  const browser = parsed.browser.name;
  if (!browser || parsed.engine.name === undefined && parsed.os.name === undefined) return ua;
  const major = parsed.browser.version?.split('.')[0];
  const name = major ? `${browser} ${major}` : browser;
  return parsed.os.name ? `${name} on ${parsed.os.name}` : name;
}
