import { z } from 'zod';

/**
 * Query strings of the REST routes: each route's query has one zod schema here in the protocol,
 * written in its wire form (the parameter names and repeats as they appear after `?`). The
 * server parses `request.query` with it (http/parse-input.ts); the client builds the query
 * string from it with `toQueryString`, so the two cannot drift apart.
 */

/**
 * A parameter that may repeat (`?model=a&model=b`): the server's query parser gives a string
 * when it is given once and an array when repeated; both become an array of `item`.
 */
export function repeatedParam<T extends z.ZodType<string, string>>(item: T) {
  return z.union([item, z.array(item)]).transform((value): Array<z.output<T>> => (Array.isArray(value) ? value : [value]));
}

/** A validation failure as the API reports it: a sentence naming the fields, and one line per field. */
export interface InputIssues {
  message: string;
  issues: Array<{ path: string; message: string }>;
}

/** The first issues of a failed parse, in the words and shape of VALIDATION_FAILED. */
export function describeInputIssues(error: z.ZodError): InputIssues {
  const issues = error.issues.slice(0, 5).map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
  return { message: `Invalid request: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`, issues };
}

/**
 * `?a=1&b=x&b=y` for a route whose query schema is `schema`, or '' when nothing is set: strings,
 * numbers and booleans as text, an array as its key repeated once per value, undefined left out.
 * The values are checked with the schema first: an invalid query is thrown as the InputIssues
 * the server would answer, before a request (or a large upload body) is sent.
 */
export function toQueryString<S extends z.ZodType>(schema: S, values: z.input<S>): string {
  const parsed = schema.safeParse(values);
  if (!parsed.success) throw new QueryValidationError(describeInputIssues(parsed.error));
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values as Record<string, unknown>)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? (value as unknown[]) : [value]) {
      if (typeof one !== 'string' && typeof one !== 'number' && typeof one !== 'boolean') throw new TypeError(`query parameter ${key}: ${typeof one} is not a query value`);
      params.append(key, String(one));
    }
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

/** A query refused by its schema before it was sent (the client reports it as VALIDATION_FAILED). */
export class QueryValidationError extends Error {
  constructor(readonly issues: InputIssues) {
    super(issues.message);
    this.name = 'QueryValidationError';
  }
}
