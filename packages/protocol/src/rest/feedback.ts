import { z } from 'zod';
import { safeText } from '../safe-text.js';

/** A thumbs up or down on a run's answer. */
export const AnswerRatingSchema = z.enum(['up', 'down']);
export type AnswerRating = z.infer<typeof AnswerRatingSchema>;

/** Longest note beside a rating (after trimming). */
export const MAX_FEEDBACK_NOTE_LENGTH = 2000;

/** PUT /v1/runs/:id/feedback: sets (or replaces) the caller's rating of that run's answer; a blank note is none. */
export const SetAnswerFeedbackRequestSchema = z.object({
  rating: AnswerRatingSchema,
  note: safeText().trim().max(MAX_FEEDBACK_NOTE_LENGTH).nullable().optional(),
});
export type SetAnswerFeedbackRequest = z.input<typeof SetAnswerFeedbackRequestSchema>;

export const AnswerFeedbackSchema = z.object({
  runId: z.string().uuid(),
  rating: AnswerRatingSchema,
  note: z.string().nullable(),
  updatedAt: z.string(),
});
export type AnswerFeedback = z.infer<typeof AnswerFeedbackSchema>;

/** GET /v1/threads/:id/feedback: the caller's ratings of that thread's answers. */
export const AnswerFeedbackListSchema = z.object({ feedback: z.array(AnswerFeedbackSchema) });

/** A rating as an admin sees it: who gave it, on which question of which thread. */
export const AdminAnswerFeedbackSchema = AnswerFeedbackSchema.extend({
  userId: z.string().uuid(),
  userEmail: z.string(),
  threadId: z.string().uuid(),
  threadTitle: z.string(),
  question: z.string(),
});
export type AdminAnswerFeedback = z.infer<typeof AdminAnswerFeedbackSchema>;

/** GET /v1/admin/feedback query: newest first, optionally only one rating. */
export const AdminFeedbackQuerySchema = z.object({
  rating: AnswerRatingSchema.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export type AdminFeedbackQuery = z.input<typeof AdminFeedbackQuerySchema>;
export const AdminAnswerFeedbackListSchema = z.object({ feedback: z.array(AdminAnswerFeedbackSchema) });
