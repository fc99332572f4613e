import { describe, expect, it } from 'vitest';
import { deviceLabel } from './device-label.js';

describe('deviceLabel', () => {
  it('names the browser, its major version and the system', () => {
    expect(deviceLabel('Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36')).toBe('Chrome 126 on macOS');
    expect(deviceLabel('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0')).toBe('Microsoft Edge 126 on Windows');
    expect(deviceLabel('Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1')).toBe('Safari 17 on iOS');
    expect(deviceLabel('Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0')).toBe('Firefox 128 on Linux');
    expect(deviceLabel('Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36')).toBe('Chrome 126 on Android');
  });

  it('names the CLI and scripts as programs, not browsers', () => {
    expect(deviceLabel('tally-cli/0.1.0 node/22')).toBe('Tally CLI 0.1.0');
    expect(deviceLabel('node')).toBe('Command line (Node.js)');
    expect(deviceLabel('curl/8.5.0')).toBe('curl 8');
  });

  it('keeps an unknown agent as it is, and says when there is none', () => {
    expect(deviceLabel('my-batch-job')).toBe('my-batch-job');
    expect(deviceLabel(' ')).toBe('Unknown device');
  });
});
