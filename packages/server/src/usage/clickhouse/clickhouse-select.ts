import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';
import { z } from 'zod';
import type { ClickHouseSql } from './clickhouse-literals.js';

/** Runs a SELECT and checks every row against the schema. */
export async function selectRows<T>(client: ClickHouseClient, query: ClickHouseSql, schema: z.ZodType<T>, settings: ClickHouseSettings = {}): Promise<T[]> {
  const result = await client.query({ query: query.text, format: 'JSONEachRow', clickhouse_settings: settings });
  return z.array(schema).parse(await result.json());
}
