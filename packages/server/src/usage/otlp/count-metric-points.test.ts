import { describe, expect, it } from 'vitest';
import { countMetricDataPoints } from './count-metric-points.js';

describe('countMetricDataPoints', () => {
  it('counts the points of every metric kind', () => {
    const point = { asInt: '5' };
    const request = {
      resourceMetrics: [
        { scopeMetrics: [{ metrics: [{ name: 'claude_code.token.usage', sum: { dataPoints: [point, point, point] } }, { name: 'g', gauge: { dataPoints: [point] } }] }] },
        { scopeMetrics: [{ metrics: [{ name: 'h', histogram: { dataPoints: [point] } }, { name: 'e', exponentialHistogram: { dataPoints: [point] } }, { name: 's', summary: { dataPoints: [point] } }] }] },
      ],
    };
    expect(countMetricDataPoints(request)).toBe(7);
    expect(countMetricDataPoints({})).toBe(0);
  });
});
