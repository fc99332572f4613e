import { describe, expect, it } from 'vitest';
import { isOtherSchemaDropped } from './postgres-errors.js';

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('isOtherSchemaDropped', () => {
  it('is a 3F000 naming another schema: a concurrent DROP SCHEMA seen by a catalog-wide read', () => {
    expect(isOtherSchemaDropped(pgError('3F000', 'schema "t_other" does not exist'), 't_mine')).toBe(true);
    expect(isOtherSchemaDropped(pgError('3F000', 'schema "t_other" does not exist'), undefined)).toBe(true);
  });

  it('is not our own schema missing, another code, or an error without a schema name', () => {
    expect(isOtherSchemaDropped(pgError('3F000', 'schema "t_mine" does not exist'), 't_mine')).toBe(false);
    expect(isOtherSchemaDropped(pgError('42P01', 'relation "t_other.x" does not exist'), 't_mine')).toBe(false);
    expect(isOtherSchemaDropped(pgError('3F000', 'no schema has been selected to create in'), 't_mine')).toBe(false);
    expect(isOtherSchemaDropped(new Error('schema "t_other" does not exist'), 't_mine')).toBe(false);
    expect(isOtherSchemaDropped(undefined, 't_mine')).toBe(false);
  });
});
