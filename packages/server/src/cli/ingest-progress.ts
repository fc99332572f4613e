import cliProgress from 'cli-progress';

/** How often the bar is redrawn (its time left and rate move between parts too). */
const REDRAWS_PER_SECOND = 8;
const MB = 1024 * 1024;

export interface IngestCounts {
  inserted: number;
  duplicates: number;
  rejected: number;
}

export interface IngestProgress {
  update(sentBytes: number, counts: IngestCounts): void;
  stop(): void;
}

/** The figures of the bar after `sentBytes` of `totalBytes` in `elapsedMs`: MB, MB/s. */
export function progressFigures(sentBytes: number, totalBytes: number, elapsedMs: number): { sentMb: string; totalMb: string; rate: string } {
  const rate = elapsedMs > 0 ? sentBytes / MB / (elapsedMs / 1000) : 0;
  return { sentMb: (sentBytes / MB).toFixed(1), totalMb: (totalBytes / MB).toFixed(1), rate: rate.toFixed(1) };
}

/**
 * The ingest progress bar on stderr: share, MB sent of the file's MB, rate, time left and the
 * records stored so far, redrawn several times a second (on a terminal; elsewhere cli-progress
 * draws nothing and the summary says it all).
 */
export function createIngestProgress(totalBytes: number, now: () => number = performance.now.bind(performance)): IngestProgress {
  const started = now();
  const bar = new cliProgress.SingleBar(
    {
      format: 'ingest [{bar}] {percentage}% | {sentMb}/{totalMb} MB | {rate} MB/s | {eta_formatted} left | {inserted} new, {duplicates} dup, {rejected} bad',
      hideCursor: true,
      fps: REDRAWS_PER_SECOND,
      etaBuffer: 20,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(totalBytes, 0, { ...progressFigures(0, totalBytes, 0), inserted: 0, duplicates: 0, rejected: 0 });
  return {
    update(sentBytes, counts) {
      bar.update(sentBytes, { ...progressFigures(sentBytes, totalBytes, now() - started), ...counts });
    },
    stop: () => bar.stop(),
  };
}
