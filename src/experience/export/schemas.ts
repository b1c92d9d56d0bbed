import { z } from 'zod';
import { GroundworkError } from '../../errors.ts';

/** Export formats of `groundwork export`. */
export const EXPORT_FORMATS = ['sft', 'preference', 'rl', 'early-experience'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** A tool call in OpenAI's chat format (arguments are a JSON string). */
export const chatToolCallSchema = z.object({
  id: z.string().min(1),
  type: z.literal('function'),
  function: z.object({ name: z.string().min(1), arguments: z.string() }),
});

/** One message in OpenAI's chat format (system, user, assistant with optional tool calls, tool). */
export const chatMessageSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content: z.string() }).strict(),
  z.object({ role: z.literal('user'), content: z.string() }).strict(),
  z
    .object({ role: z.literal('assistant'), content: z.string().nullable(), tool_calls: z.array(chatToolCallSchema).min(1).optional() })
    .strict()
    .refine(
      (m) => (m.content !== null && m.content !== '') || (m.tool_calls?.length ?? 0) > 0,
      'an assistant message needs content or tool calls',
    ),
  z.object({ role: z.literal('tool'), tool_call_id: z.string().min(1), content: z.string() }).strict(),
]);
export type ChatMessage = z.infer<typeof chatMessageSchema>;

/** A tool definition in OpenAI's chat format. */
export const chatToolSchema = z
  .object({
    type: z.literal('function'),
    function: z.object({ name: z.string().min(1), description: z.string(), parameters: z.record(z.string(), z.unknown()) }).strict(),
  })
  .strict();
export type ChatTool = z.infer<typeof chatToolSchema>;

/** Every tool message answers a tool call made earlier in the same conversation. */
function toolMessagesAnswerCalls(messages: readonly ChatMessage[]): boolean {
  const called = new Set<string>();
  for (const message of messages) {
    if (message.role === 'assistant') for (const call of message.tool_calls ?? []) called.add(call.id);
    if (message.role === 'tool' && !called.has(message.tool_call_id)) return false;
  }
  return true;
}

/**
 * `sft`: one verified successful episode in OpenAI's chat fine-tuning format with tools. Starts
 * with the system message (the policy) and ends with an assistant message.
 */
export const sftLineSchema = z
  .object({
    messages: z.array(chatMessageSchema).min(3),
    tools: z.array(chatToolSchema),
    parallel_tool_calls: z.literal(false),
  })
  .strict()
  .refine((line) => line.messages[0].role === 'system', 'the first message is the system message (policy)')
  .refine((line) => line.messages.at(-1)!.role === 'assistant', 'the last message is the assistant’s')
  .refine((line) => toolMessagesAnswerCalls(line.messages), 'every tool message answers an earlier tool call');
export type SftLine = z.infer<typeof sftLineSchema>;

/** Provenance of an exported line. */
export const exportMetadataSchema = z.object({
  runId: z.string(),
  episodeId: z.string(),
  taskId: z.string(),
  family: z.string(),
  agent: z.string(),
  trial: z.number().int().nonnegative(),
  split: z.string(),
});

/**
 * `preference`: a success and a failure on the same task that share a conversation prefix (same
 * state) and then act differently. OpenAI's preference fine-tuning shape (`input`,
 * `preferred_output`, `non_preferred_output`) plus `metadata` (drop it for OpenAI's API).
 */
export const preferenceLineSchema = z
  .object({
    input: z
      .object({ messages: z.array(chatMessageSchema).min(2), tools: z.array(chatToolSchema), parallel_tool_calls: z.literal(false) })
      .strict(),
    preferred_output: z.array(chatMessageSchema).length(1),
    non_preferred_output: z.array(chatMessageSchema).length(1),
    metadata: z
      .object({
        taskId: z.string(),
        runId: z.string(),
        preferredEpisodeId: z.string(),
        nonPreferredEpisodeId: z.string(),
        /** Messages shared by both conversations (the input, without the system message). */
        sharedPrefix: z.number().int().nonnegative(),
      })
      .strict(),
  })
  .strict()
  .refine(
    (line) => line.preferred_output[0].role === 'assistant' && line.non_preferred_output[0].role === 'assistant',
    'outputs are assistant messages',
  )
  .refine((line) => JSON.stringify(line.preferred_output) !== JSON.stringify(line.non_preferred_output), 'the outputs differ')
  .refine((line) => line.input.messages.at(-1)!.role !== 'assistant', 'the input ends where the assistant acts');
export type PreferenceLine = z.infer<typeof preferenceLineSchema>;

/**
 * `rl`: a prompt (system + first user message + tools) with the grounded reward of the episode
 * that followed, its components, and the calibration term when the agent reported an outcome.
 */
export const rlLineSchema = z
  .object({
    prompt: z.object({ messages: z.array(chatMessageSchema).length(2), tools: z.array(chatToolSchema) }).strict(),
    reward: z.union([z.literal(0), z.literal(1)]),
    components: z
      .object({
        state: z.union([z.literal(0), z.literal(1)]),
        collateral: z.union([z.literal(0), z.literal(1)]),
        communication: z.union([z.literal(0), z.literal(1)]),
      })
      .strict(),
    /** RLCR: y − (q − y)², from the agent's stated confidence q and the grounded outcome y. */
    calibration: z
      .object({
        confidence: z.number().min(0).max(1),
        claimedSuccess: z.boolean(),
        outcome: z.union([z.literal(0), z.literal(1)]),
        rlcrReward: z.number().min(-1).max(1),
      })
      .strict()
      .optional(),
    /** Labelled simulator-faulted by a stored audit (trainers may drop or down-weight it). */
    simulatorFaulted: z.boolean().optional(),
    metadata: exportMetadataSchema.extend({ termination: z.string() }).strict(),
  })
  .strict()
  .refine(
    (line) => line.prompt.messages[0].role === 'system' && line.prompt.messages[1].role === 'user',
    'the prompt is the system message and the first user message',
  )
  .refine(
    (line) => line.reward === 0 || (line.components.state === 1 && line.components.collateral === 1 && line.components.communication === 1),
    'a reward of 1 needs every component',
  )
  .refine(
    (line) =>
      !line.calibration ||
      Math.abs(line.calibration.rlcrReward - (line.calibration.outcome - (line.calibration.confidence - line.calibration.outcome) ** 2)) <
        1e-9,
    'rlcrReward = y − (q − y)²',
  );
export type RlLine = z.infer<typeof rlLineSchema>;

/** A field change of an early-experience transition. */
const transitionChangeSchema = z
  .object({
    table: z.string(),
    key: z.string(),
    op: z.enum(['create', 'update', 'delete']),
    path: z.string(),
    before: z.unknown().optional(),
    after: z.unknown().optional(),
  })
  .strict();

/**
 * `early-experience`: at a state of an expert trajectory, one action (the expert's or an
 * alternative) executed on a fork, with the resulting next state (implicit world modelling).
 */
export const earlyExperienceLineSchema = z
  .object({
    /** The conversation up to the state (what the agent had seen). */
    context: z.object({ messages: z.array(chatMessageSchema).min(2), tools: z.array(chatToolSchema) }).strict(),
    state: z.object({ step: z.number().int().nonnegative(), hash: z.string() }).strict(),
    action: z.object({ name: z.string(), arguments: z.string() }).strict(),
    /** The action the expert took at this state. */
    expert: z.boolean(),
    next: z
      .object({
        /** The tool's answer, as the agent would see it. */
        observation: z.string(),
        isError: z.boolean(),
        hash: z.string(),
        changes: z.array(transitionChangeSchema),
      })
      .strict(),
    metadata: exportMetadataSchema.extend({ expertSource: z.enum(['oracle', 'verified']) }).strict(),
  })
  .strict();
export type EarlyExperienceLine = z.infer<typeof earlyExperienceLineSchema>;

/** The zod schema of one line of a format. */
export const EXPORT_LINE_SCHEMAS = {
  sft: sftLineSchema,
  preference: preferenceLineSchema,
  rl: rlLineSchema,
  'early-experience': earlyExperienceLineSchema,
} as const;

/** Check a format name; INVALID_ARGUMENT listing the formats otherwise. */
export function parseExportFormat(value: string): ExportFormat {
  if ((EXPORT_FORMATS as readonly string[]).includes(value)) return value as ExportFormat;
  throw new GroundworkError('INVALID_ARGUMENT', `unknown export format ${JSON.stringify(value)}`, {
    hint: `formats: ${EXPORT_FORMATS.join(', ')}`,
  });
}

/** The published JSON Schema of one line of a format (generated from the zod schema). */
export function exportJsonSchema(format: ExportFormat): Record<string, unknown> {
  const { $schema, ...schema } = z.toJSONSchema(EXPORT_LINE_SCHEMAS[format], { io: 'output', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return { $schema, title: `groundwork export --format ${format} (one JSON object per line)`, ...schema };
}
