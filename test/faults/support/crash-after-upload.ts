/**
 * Scenario 7's crash points, as wrappers the engine child installs with
 * `createMillrace({ wrap })`, so the engine's own code is not changed:
 *   after-put       SIGKILL right after the n-th claim-check upload of this
 *                   thread resolves, before the event carrying its ticket is appended
 *   before-append   SIGKILL at the n-th append carrying task outputs that a
 *                   worker thread uploaded (their results not yet stored)
 * Each prints `crash <point> <keys>` on stdout first (a pipe: written
 * synchronously), so the scenario knows which uploads the crash cut off.
 */
import type { BlobStore } from '../../../src/ports/blob-store.js';
import type { EventStore, NewEvent } from '../../../src/ports/event-store.js';
import { isClaimTicket } from '../../../src/workers/claim-check.js';

export type CrashPoint = 'after-put' | 'before-append';

function crash(point: CrashPoint, keys: string[]): never {
  process.stdout.write(`crash ${point} ${JSON.stringify(keys)}\n`);
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable: SIGKILL was sent');
}

/** A blob store that dies right after its `nth` upload under `claims/`. */
export function crashAfterPut(blobs: BlobStore, nth: number): BlobStore {
  let puts = 0;
  return new Proxy(blobs, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (typeof value !== 'function') return value;
      if (prop !== 'put') return (value as (...args: unknown[]) => unknown).bind(target);
      return async (key: string, body: Parameters<BlobStore['put']>[1]) => {
        const ref = await target.put(key, body);
        if (key.startsWith('claims/') && ++puts === nth) crash('after-put', [key]);
        return ref;
      };
    },
  });
}

/** An event store that dies at its `nth` append holding claimed task outputs. */
export function crashBeforeAppend(events: EventStore, nth: number): EventStore {
  let appends = 0;
  return new Proxy(events, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (typeof value !== 'function') return value;
      if (prop !== 'append') return (value as (...args: unknown[]) => unknown).bind(target);
      return (stream: string, list: readonly NewEvent[], expected: Parameters<EventStore['append']>[2]) => {
        const keys = list.flatMap((e) => {
          const output = e.type === 'TaskCompleted' ? (e.data as { output?: unknown }).output : undefined;
          return isClaimTicket(output) ? [output.$claim.key] : [];
        });
        if (keys.length > 0 && ++appends === nth) crash('before-append', keys);
        return target.append(stream, list, expected);
      };
    },
  });
}
