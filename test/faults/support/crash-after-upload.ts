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
import type { EventStore } from '../../../src/ports/event-store.js';
import { isClaimTicket } from '../../../src/workers/claim-check.js';

export type CrashPoint = 'after-put' | 'before-append';

function crash(point: CrashPoint, keys: string[]): never {
  process.stdout.write(`crash ${point} ${JSON.stringify(keys)}\n`);
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable: SIGKILL was sent');
}

/** `target` with one method replaced; every other method bound to `target`. */
function replacing<T extends object, K extends keyof T>(target: T, name: K, replacement: T[K]): T {
  return new Proxy(target, {
    get(inner, prop) {
      if (prop === name) return replacement;
      const value = Reflect.get(inner, prop) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(inner) : value;
    },
  });
}

/** A blob store that dies right after its `nth` upload under `claims/`. */
export function crashAfterPut(blobs: BlobStore, nth: number): BlobStore {
  let puts = 0;
  return replacing(blobs, 'put', async (key, body) => {
    const ref = await blobs.put(key, body);
    if (key.startsWith('claims/') && ++puts === nth) crash('after-put', [key]);
    return ref;
  });
}

/** An event store that dies at its `nth` append holding claimed task outputs. */
export function crashBeforeAppend(events: EventStore, nth: number): EventStore {
  let appends = 0;
  return replacing(events, 'append', (stream, list, expected) => {
    const keys = list.flatMap((e) => {
      const output = e.type === 'TaskCompleted' ? (e.data as { output?: unknown }).output : undefined;
      return isClaimTicket(output) ? [output.$claim.key] : [];
    });
    if (keys.length > 0 && ++appends === nth) crash('before-append', keys);
    return events.append(stream, list, expected);
  });
}
