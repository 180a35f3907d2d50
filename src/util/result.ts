/**
 * A value that is either a success carrying `value` or an expected failure
 * carrying `error`. Expected failures are data, not exceptions: callers must
 * look at `ok` before they can reach the value.
 */
export type Result<T, E> = {ok: true; value: T} | {ok: false; error: E};

/** Wraps a success. */
export function ok<T>(value: T): {ok: true; value: T} {
  return {ok: true, value};
}

/** Wraps an expected failure. */
export function fail<E>(error: E): {ok: false; error: E} {
  return {ok: false, error};
}
