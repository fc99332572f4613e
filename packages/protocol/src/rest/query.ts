import { z } from 'zod';

/**
 * Query strings of the REST routes: each route's query has one zod schema here in the protocol,
 * written in its wire form (the parameter names and repeats as they appear after `?`). The
 * server parses `request.query` with it (http/parse-input.ts); the client builds the query
 * string from it with `toQueryString`, so the two cannot drift apart.
 */

/** A value the client may put in a query string: arrays repeat their key once per value. */
export type QueryValue = string | number | boolean | readonly (string | number)[] | undefined;
export type QueryValues = Readonly<Record<string, QueryValue>>;

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
 * `?a=1&b=x&b=y` for a route whose query schema is `schema`, or '' when nothing is set. The
 * values are checked with the schema first: an invalid query is thrown as the InputIssues the
 * server would answer, before a request (or a large upload body) is sent.
 */
export function toQueryString<S extends z.ZodType>(schema: S, values: z.input<S> & QueryValues): string {
  const parsed = schema.safeParse(values);
  if (!parsed.success) throw new QueryValidationError(describeInputIssues(parsed.error));
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) params.append(key, String(one));
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
