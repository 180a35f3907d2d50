/**
 * Marks a branch the type checker has proved impossible, so that a `switch`
 * over a union's `reason` or `kind` fails to compile when a case is missing.
 */
export function unreachable(value: never): never {
  throw new Error(`Internal error: unexpected value ${JSON.stringify(value)}`);
}
