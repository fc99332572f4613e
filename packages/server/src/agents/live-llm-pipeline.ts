import type { LlmConfig } from '../config/config.js';
import type { Pipeline } from '../runs/run-context.js';

/**
 * A pipeline that reads the LLM configuration when each run starts (one small query), so an
 * admin's change (PUT /v1/admin/llm) applies to the next run on every node; runs already going
 * keep the LLM they started with. The pipeline built for a configuration is reused until it
 * changes; it belongs to this instance, not to the module.
 */
export function createLiveLlmPipeline(deps: { currentLlm: () => Promise<LlmConfig>; build: (llm: LlmConfig) => Pipeline }): Pipeline {
  let built: { key: string; pipeline: Pipeline } | undefined;
  return {
    async run(ctx) {
      const llm = await deps.currentLlm();
      const key = JSON.stringify(llm);
      if (built?.key !== key) built = { key, pipeline: deps.build(llm) };
      return built.pipeline.run(ctx);
    },
  };
}
