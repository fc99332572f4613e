import readline from 'node:readline/promises';

/** Asks for a line on the terminal (an email); undefined when stdin is not a terminal. */
export async function promptLine(question: string): Promise<string | undefined> {
  if (!process.stdin.isTTY) return undefined;
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = (await rl.question(question)).trim();
    return answer === '' ? undefined : answer;
  } finally {
    rl.close();
  }
}
