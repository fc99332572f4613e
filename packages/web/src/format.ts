const count = new Intl.NumberFormat('en-US');
const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

export const formatCount = (n: number): string => count.format(n);
export const formatCompact = (n: number): string => compact.format(n);
export const formatPercent = (share: number): string => `${(share * 100).toFixed(share < 0.1 ? 1 : 0)}%`;
export const formatMs = (ms: number): string => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
