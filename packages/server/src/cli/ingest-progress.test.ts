import { describe, expect, it } from 'vitest';
import { progressFigures } from './ingest-progress.js';

describe('progressFigures', () => {
  it('shows MB sent of the total and the rate in MB/s', () => {
    expect(progressFigures(12.5 * 1024 * 1024, 25 * 1024 * 1024, 2_500)).toEqual({ sentMb: '12.5', totalMb: '25.0', rate: '5.0' });
    expect(progressFigures(0, 1024, 0)).toEqual({ sentMb: '0.0', totalMb: '0.0', rate: '0.0' });
  });
});
