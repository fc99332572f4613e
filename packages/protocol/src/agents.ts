import { z } from 'zod';

/** The agents of the pipeline; `supervisor` names the run as a whole. */
export const AGENT_NAMES = [
  'supervisor',
  'triage',
  'data',
  'optimization',
  'actions',
  'reporting',
  'data_helper',
] as const;
export const AgentNameSchema = z.enum(AGENT_NAMES);
export type AgentName = z.infer<typeof AgentNameSchema>;

/**
 * What triage decides a request is about. `greeting` (hello, thanks, what can you do) and
 * `off_topic` (not about LLM usage or cost) get a short reply and no analysis.
 */
export const INTENTS = [
  'cost_analysis',
  'caching',
  'model_choice',
  'batching',
  'latency',
  'errors',
  'general',
  'greeting',
  'off_topic',
] as const;
export const IntentSchema = z.enum(INTENTS);
export type Intent = z.infer<typeof IntentSchema>;

/** Intents that are questions about the user's usage, answered from an analysis of it. */
export const ANALYSIS_INTENTS = ['cost_analysis', 'caching', 'model_choice', 'batching', 'latency', 'errors', 'general'] as const satisfies readonly Intent[];
export type AnalysisIntent = (typeof ANALYSIS_INTENTS)[number];
export function isAnalysisIntent(intent: Intent): intent is AnalysisIntent {
  return (ANALYSIS_INTENTS as readonly Intent[]).includes(intent);
}
