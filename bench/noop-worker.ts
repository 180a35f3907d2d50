/**
 * A piscina worker whose task does nothing: pool-dispatch.ts times it as
 * the floor of a worker-thread round trip on this machine, the peer that
 * neuromake's own dispatch cost is compared with.
 */
export default function noop(): {ok: true; sent: 0; bodyMs: 0} {
  return {ok: true, sent: 0, bodyMs: 0};
}
