import { runSmoke } from './smoke.js';

/** `tally smoke URL`: the golden path against a running deployment; non-zero on any failure. */
export async function smokeCommand(options: { url: string; email: string | undefined; password: string | undefined }): Promise<number> {
  const result = await runSmoke({
    url: options.url,
    ...(options.email ? { email: options.email } : {}),
    ...(options.password ? { password: options.password } : {}),
    log: (line) => process.stdout.write(line + '\n'),
  });
  return result.ok ? 0 : 1;
}
