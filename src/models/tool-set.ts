import { jsonSchema, type ToolSet, tool } from 'ai';

/** A tool as a model is shown it: name, description and the JSON Schema of its arguments. */
export interface ModelToolSpec {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

/** Tools for a model call: description and JSON schema, no `execute` (the episode runs every call). */
export function modelToolSet(specs: readonly ModelToolSpec[]): ToolSet {
  const tools: ToolSet = {};
  for (const spec of specs) {
    tools[spec.name] = tool({
      description: spec.description,
      inputSchema: jsonSchema(spec.parameters as Parameters<typeof jsonSchema>[0]),
    });
  }
  return tools;
}
