/**
 * @module adapters/embedded/sqlite-queue-owners
 * Crash recovery for the SQLite queue. Each open queue registers an owner row
 * (id, pid, hostname); its leases name it. When a queue opens, leases held by
 * owners on this host whose process no longer exists are lapsed at once, so a
 * restarted worker picks its own work back up without waiting out the lease.
 * Owners on other hosts cannot be checked from here: their leases lapse by
 * time, like those of a process that is alive but stuck.
 *
 * A dead owner's private reply queue goes too: no one will ever read it.
 */
import { replyQueueName } from '../common/request-reply.js';
import { INSERT_OWNER, DELETE_OWNER, PURGE_QUEUE, RELEASE_OWNER_LEASES, SELECT_OWNERS_ON_HOST } from './sqlite-task-queue-sql.js';
import type { SqliteDatabase } from './sqlite-database.js';

/** Who is opening the queue. */
export interface OwnerIdentity {
  ownerId: string;
  hostname: string;
  now: number;
}

/**
 * Registers this instance and lapses the leases of dead local processes,
 * calling `reclaim` (in the same transaction) for each queue concerned so the
 * rows are ready, or dead-lettered if out of attempts, before the open returns.
 * Returns how many leases were freed.
 */
export function registerOwner(db: SqliteDatabase, identity: OwnerIdentity, reclaim: (queue: string) => void): number {
  const selectOwners = db.prepare(SELECT_OWNERS_ON_HOST);
  const releaseLeases = db.prepare(RELEASE_OWNER_LEASES);
  const deleteOwner = db.prepare(DELETE_OWNER);
  const insertOwner = db.prepare(INSERT_OWNER);
  const purgeQueue = db.prepare(PURGE_QUEUE);
  return db.transaction(() => {
    let released = 0;
    const queues = new Set<string>();
    for (const owner of selectOwners.all(identity.hostname, identity.ownerId) as Array<{ id: string; pid: number }>) {
      if (isProcessAlive(owner.pid)) continue;
      for (const row of releaseLeases.all(owner.id) as Array<{ queue: string }>) {
        queues.add(row.queue);
        released++;
      }
      purgeQueue.run(replyQueueName(owner.id));
      deleteOwner.run(owner.id);
    }
    for (const queue of queues) reclaim(queue);
    insertOwner.run(identity.ownerId, process.pid, identity.hostname, identity.now);
    return released;
  }).immediate();
}

/** `kill(pid, 0)` checks existence without signalling: ESRCH means gone; EPERM means alive but not ours. */
export function isProcessAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
