/** Child-process entry of the mock LLM (see mock-llm.ts): serves until the parent kills it or goes away. */
import { serveMockLlm, type MockLlmChildMessage, type MockLlmParentMessage } from './mock-llm.js';

let server: Awaited<ReturnType<typeof serveMockLlm>> | undefined;

process.on('message', (message: MockLlmParentMessage) => {
  const reply = (m: MockLlmChildMessage) => process.send?.(m);
  if (message.type === 'start') {
    void serveMockLlm(message.settings).then((started) => {
      server = started;
      reply({ type: 'listening', port: started.port });
    });
  } else if (message.type === 'stats' && server) {
    reply({ type: 'stats', id: message.id, stats: { ...server.stats } });
  }
});
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => {
  void (server?.close() ?? Promise.resolve()).finally(() => process.exit(0));
});
