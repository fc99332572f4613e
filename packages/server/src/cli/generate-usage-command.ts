import fs from 'node:fs';
import { once } from 'node:events';
import { generateUsage } from '../usage/demo/generate-usage.js';

/** `tally generate-usage`: a month of realistic traffic with known waste, as NDJSON. */
export async function generateUsageCommand(options: { out: string | undefined; days: number; seed: number }): Promise<number> {
  const out = options.out ? fs.createWriteStream(options.out) : process.stdout;
  let count = 0;
  for (const record of generateUsage({ seed: options.seed, days: options.days, end: startOfToday() })) {
    if (!out.write(JSON.stringify(record) + '\n')) await once(out, 'drain');
    count++;
  }
  if (options.out) {
    (out as fs.WriteStream).end();
    await once(out, 'finish');
    process.stderr.write(`Wrote ${count} usage records (${options.days} days, seed ${options.seed}) to ${options.out}\n`);
  }
  return 0;
}

function startOfToday(): Date {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}
