import { describe, expect, it } from 'vitest';
import { aggRow } from '../../test/analysis/fixtures.js';
import { ratio, roundUsd } from './round.js';
import { groupSlices, sliceScope } from './traffic-slices.js';

describe('groupSlices', () => {
  it('sums rows per model, project and feature, biggest spend first', () => {
    const slices = groupSlices([
      aggRow({ model: 'a', project: 'p', feature: 'f', provider: null, requests: 10, costUsd: 1 }),
      aggRow({ model: 'a', project: 'p', feature: 'f', provider: 'openai', status: 'timeout', requests: 2, retries: 1, costUsd: 0.5 }),
      aggRow({ model: 'a', project: 'p', feature: 'f', interactive: false, requests: 4, costUsd: 2 }),
      aggRow({ model: 'a', project: 'p', feature: 'f', interactive: false, batch: true, requests: 3, costUsd: 0.25 }),
      aggRow({ model: 'b', project: 'p', feature: 'f', requests: 1, costUsd: 9 }),
    ]);
    expect(slices.map((s) => s.key)).toEqual(['p/f/b', 'p/f/a']);
    expect(slices[1]).toMatchObject({
      provider: 'openai',
      requests: 19,
      retries: 1,
      failedRequests: 2,
      timeoutRequests: 2,
      failedCostUsd: 0.5,
      costUsd: 3.75,
      batchableRequests: 4,
      batchableCostUsd: 2,
    });
    expect(sliceScope(slices[1]!)).toBe('project=p feature=f model=a');
  });
});

describe('round', () => {
  it('removes float noise and guards division by zero', () => {
    expect(roundUsd(0.1 + 0.2)).toBe(0.3);
    expect(ratio(1, 3)).toBe(0.333333);
    expect(ratio(1, 0)).toBe(0);
  });
});
