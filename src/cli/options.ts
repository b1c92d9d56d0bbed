import { GroundworkError } from '../errors.ts';

// Option parsers that run while the command line is parsed. This module is loaded for every
// command, `--help` included, so it imports nothing heavier than errors.ts.

/** Parse a positive integer option, with a clear error naming the option. */
export function positiveInt(name: string, min = 1): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
      throw new GroundworkError('INVALID_ARGUMENT', `${name} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
    }
    return n;
  };
}

/** Parse an integer option (any sign). */
export function integer(name: string): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n))
      throw new GroundworkError('INVALID_ARGUMENT', `${name} must be an integer, got ${JSON.stringify(value)}`);
    return n;
  };
}

/** Collect a repeatable option; commas also separate values. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [
    ...(previous ?? []),
    ...value
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean),
  ];
}
