/**
 * The dashboard's filters, kept in the hash query (`#/usage?range=30d&model=a&model=b`) so a
 * reload or a shared link shows the same view. Pure: parsing, writing, and turning a filter into
 * the dashboard request, given the span of the user's data.
 */

export const RANGE_PRESETS = ['all', '7d', '30d', 'custom'] as const;
export type RangePreset = (typeof RANGE_PRESETS)[number];

export interface UsageFilters {
  range: RangePreset;
  /** Days (`YYYY-MM-DD`, UTC), only for `custom`; either may be open. */
  from: string | null;
  to: string | null;
  models: string[];
  projects: string[];
}

/** What the dashboard route takes: ISO times, `from` inclusive, `to` exclusive. */
export interface DashboardQuery {
  from?: string;
  to?: string;
  models?: string[];
  projects?: string[];
}

export const NO_FILTERS: UsageFilters = { range: 'all', from: null, to: null, models: [], projects: [] };

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const isDay = (value: string | null): value is string => value !== null && DAY.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`));

export function parseUsageFilters(query: string): UsageFilters {
  const params = new URLSearchParams(query);
  const range = params.get('range');
  const from = params.get('from');
  const to = params.get('to');
  return {
    range: (RANGE_PRESETS as readonly string[]).includes(range ?? '') ? (range as RangePreset) : 'all',
    from: isDay(from) ? from : null,
    to: isDay(to) ? to : null,
    models: unique(params.getAll('model')),
    projects: unique(params.getAll('project')),
  };
}

export function writeUsageFilters(filters: UsageFilters): string {
  const params = new URLSearchParams();
  if (filters.range !== 'all') params.set('range', filters.range);
  if (filters.range === 'custom') {
    if (filters.from) params.set('from', filters.from);
    if (filters.to) params.set('to', filters.to);
  }
  for (const model of filters.models) params.append('model', model);
  for (const project of filters.projects) params.append('project', project);
  return params.toString();
}

/**
 * The request for a filter. "Last 7 / 30 days" are of the data (ending on its last day), not of
 * the calendar: an upload of last quarter's logs still shows its last week. `dataTo` is the last
 * record's time; without it (not known yet) the presets ask for everything.
 */
export function dashboardQuery(filters: UsageFilters, dataTo: string | null): DashboardQuery {
  const query: DashboardQuery = {};
  if (filters.models.length > 0) query.models = filters.models;
  if (filters.projects.length > 0) query.projects = filters.projects;
  if (filters.range === 'custom') {
    if (filters.from) query.from = startOfDay(filters.from);
    if (filters.to) query.to = startOfDay(addDays(filters.to, 1));
  } else if (filters.range !== 'all' && dataTo) {
    const lastDay = dayOf(dataTo);
    const days = filters.range === '7d' ? 7 : 30;
    query.from = startOfDay(addDays(lastDay, -(days - 1)));
    query.to = startOfDay(addDays(lastDay, 1));
  }
  return query;
}

/** The UTC day of an ISO time or day. */
export function dayOf(isoTime: string): string {
  return new Date(isoTime).toISOString().slice(0, 10);
}

export function addDays(day: string, days: number): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

const startOfDay = (day: string) => `${day}T00:00:00.000Z`;

function unique(values: string[]): string[] {
  return [...new Set(values.filter((v) => v.trim() !== ''))];
}
