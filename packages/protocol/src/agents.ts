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

/** What triage decides a request is about. */
export const INTENTS = [
  'cost_analysis',
  'caching',
  'model_choice',
  'batching',
  'latency',
  'errors',
  'general',
] as const;
export const IntentSchema = z.enum(INTENTS);
export type Intent = z.infer<typeof IntentSchema>;
