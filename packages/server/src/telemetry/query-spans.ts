import { SpanKind, context, type Span } from '@opentelemetry/api';
import { ATTR_DB_COLLECTION_NAME, ATTR_DB_OPERATION_NAME, ATTR_DB_SYSTEM_NAME } from '@opentelemetry/semantic-conventions';
import type { KyselyPlugin, OperationNode, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { tracer } from './spans.js';

/**
 * A client span per store query, as a Kysely plugin: started when the query is compiled (right
 * before it runs, in the caller's context, so it is the child of the step or request that ran
 * it) and ended with its result. Named by operation and first table, never by statement text
 * or parameters (user data). A query that throws never reaches `transformResult`: its span is
 * dropped unended (not exported) and the failure shows on the span of its caller.
 * Added only when tracing is on.
 */
export function createQuerySpans(system: 'postgresql'): KyselyPlugin {
  const open = new WeakMap<object, Span>();
  return {
    transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
      const operation = operationOf(args.node);
      const table = tableOf(args.node);
      const span = tracer().startSpan(
        table ? `${operation} ${table}` : operation,
        {
          kind: SpanKind.CLIENT,
          attributes: { [ATTR_DB_SYSTEM_NAME]: system, [ATTR_DB_OPERATION_NAME]: operation, ...(table ? { [ATTR_DB_COLLECTION_NAME]: table } : {}) },
        },
        context.active(),
      );
      open.set(args.queryId, span);
      return args.node;
    },
    async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
      const span = open.get(args.queryId);
      if (span) {
        open.delete(args.queryId);
        span.end();
      }
      return args.result;
    },
  };
}

const OPERATIONS: Record<string, string> = {
  SelectQueryNode: 'SELECT',
  InsertQueryNode: 'INSERT',
  UpdateQueryNode: 'UPDATE',
  DeleteQueryNode: 'DELETE',
  MergeQueryNode: 'MERGE',
  RawNode: 'SQL',
};

function operationOf(node: RootOperationNode): string {
  return OPERATIONS[node.kind] ?? node.kind.replace(/Node$/, '');
}

/** The first table a statement names (for WITH ... statements, the main statement's). */
function tableOf(node: OperationNode): string | undefined {
  const n = node as unknown as Record<string, unknown>;
  const candidates = [n['into'], n['table'], (n['from'] as { froms?: unknown[] } | undefined)?.froms?.[0]];
  for (const c of candidates) {
    const name = tableName(c);
    if (name) return name;
  }
  return undefined;
}

function tableName(node: unknown): string | undefined {
  const n = node as { kind?: string; table?: { identifier?: { name?: string } }; node?: unknown; func?: string } | undefined;
  if (n?.kind === 'TableNode') return n.table?.identifier?.name;
  // A set-returning function read as a table (runs/run-start-statement.ts's queue_run): its name.
  if (n?.kind === 'FunctionNode') return n.func;
  if (n?.kind === 'AliasNode') return tableName(n.node);
  return undefined;
}
