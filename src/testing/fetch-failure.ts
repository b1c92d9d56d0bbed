import { classifyFailure } from '../models/retry.ts';

/**
 * How a fetch-like promise failed, comparable between HTTP clients: the error's name, class and
 * message, its cause's code and message (what src/models/retry.ts reads) and how retry.ts
 * classifies it; 'resolved' when it did not fail. For tests that hold one client against another.
 */
export async function fetchFailure(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return {
      name: (error as Error).name,
      type: (error as Error).constructor.name,
      message: (error as Error).message,
      cause: cause ? { code: cause.code, message: cause.message } : undefined,
      classified: classifyFailure(error, undefined),
    };
  }
  return 'resolved';
}
