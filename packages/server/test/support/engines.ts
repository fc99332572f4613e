import { inject } from 'vitest';

/**
 * The engine setups a test file loops over: the embedded defaults, and PostgreSQL + Redis.
 * Outside CI a missing service skips its setup loudly; under CI=true global setup already failed.
 */
export type EngineName = 'embedded' | 'postgres+redis';

export interface EngineSetup {
  name: EngineName;
  /** Null when this setup cannot run here; `skipReason` says why. */
  postgresUrl: string | null;
  redisUrl: string | null;
  skipReason: string | null;
}

export function engineSetups(): EngineSetup[] {
  const postgresUrl = inject('postgresUrl');
  const redisUrl = inject('redisUrl');
  const missing = inject('servicesMissing');
  const scaleMissing = [missing['postgres'], missing['redis']].filter(Boolean);
  return [
    { name: 'embedded', postgresUrl: null, redisUrl: null, skipReason: null },
    {
      name: 'postgres+redis',
      postgresUrl,
      redisUrl,
      skipReason: scaleMissing.length ? `SKIPPED (service missing): ${scaleMissing.join('; ')}` : null,
    },
  ];
}
