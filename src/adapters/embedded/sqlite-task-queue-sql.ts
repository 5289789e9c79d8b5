/**
 * @module adapters/embedded/sqlite-task-queue-sql
 * Schema and statements of the SQLite task queue. One row per queued message
 * in `queue_messages`, whose `state` says which partial index holds it:
 *
 * | state | meaning  | `due_at` means       | index                                 |
 * | ----- | -------- | -------------------- | ------------------------------------- |
 * | 0     | ready    | (unused, 0)          | `(queue, priority DESC, seq)`         |
 * | 1     | delayed  | when it becomes ready| `(queue, due_at)`                     |
 * | 2     | leased   | when the lease lapses| `(queue, due_at)`                     |
 *
 * Three partial indexes instead of one over every column keep each write
 * touching only the index of the state it enters or leaves, and make the
 * ready scan an in-order index walk with no sort and nothing to skip. The
 * queries repeat the literal `state = N` so SQLite can prove the partial
 * index applies (it does not reason through bound parameters).
 *
 * `seq` is AUTOINCREMENT: it is the FIFO order and, with `attempt`, the
 * fencing token of a lease, so it must never be reused after a delete.
 */
import type { Migration } from './sqlite-database.js';

/** `state` of a row waiting to be leased. */
export const STATE_READY = 0;
/** `state` of a row waiting for its `due_at`. (2, leased, appears only as a literal in queries.) */
export const STATE_DELAYED = 1;

/** Schema of the `queue` component, for `openSqlite`. */
export const QUEUE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: '0001_init',
    sql: `
      CREATE TABLE queue_messages (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        queue TEXT NOT NULL,
        id TEXT NOT NULL,
        name TEXT NOT NULL,
        payload TEXT NOT NULL,
        headers TEXT,
        priority INTEGER NOT NULL,
        state INTEGER NOT NULL,
        due_at INTEGER NOT NULL,
        attempt INTEGER NOT NULL DEFAULT 0,
        max_attempts INTEGER NOT NULL,
        published_at INTEGER NOT NULL,
        reply_to TEXT,
        lease_owner TEXT
      );
      CREATE UNIQUE INDEX queue_messages_id ON queue_messages (queue, id);
      CREATE INDEX queue_messages_ready ON queue_messages (queue, priority DESC, seq) WHERE state = 0;
      CREATE INDEX queue_messages_delayed ON queue_messages (queue, due_at) WHERE state = 1;
      CREATE INDEX queue_messages_leased ON queue_messages (queue, due_at) WHERE state = 2;

      CREATE TABLE queue_dead_letters (
        queue TEXT NOT NULL,
        id TEXT NOT NULL,
        name TEXT NOT NULL,
        payload TEXT NOT NULL,
        headers TEXT,
        priority INTEGER NOT NULL,
        max_attempts INTEGER NOT NULL,
        attempts INTEGER NOT NULL,
        published_at INTEGER NOT NULL,
        reply_to TEXT,
        reason TEXT NOT NULL,
        dead_at INTEGER NOT NULL,
        PRIMARY KEY (queue, id)
      );
      CREATE INDEX queue_dead_letters_time ON queue_dead_letters (queue, dead_at);

      CREATE TABLE queue_counters (
        queue TEXT PRIMARY KEY,
        redelivered INTEGER NOT NULL DEFAULT 0
      );

      CREATE TABLE queue_owners (
        id TEXT PRIMARY KEY,
        pid INTEGER NOT NULL,
        hostname TEXT NOT NULL,
        started_at INTEGER NOT NULL
      );`,
  },
];

/** Publishes one row; a conflict on (queue, id) is the dedup of a still-queued id. */
export const INSERT_MESSAGE = `
  INSERT INTO queue_messages (queue, id, name, payload, headers, priority, state, due_at, max_attempts, published_at, reply_to)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (queue, id) DO NOTHING`;

/** Maintenance before each lease (an index probe when nothing is due): delayed rows that fell due become ready. */
export const PROMOTE_DUE = 'UPDATE queue_messages SET state = 0, due_at = 0 WHERE queue = ? AND state = 1 AND due_at <= ?';
/** Maintenance: lapsed leases on their last attempt go to dead letters... */
export const DEAD_LETTER_LAPSED = `
  INSERT OR REPLACE INTO queue_dead_letters (queue, id, name, payload, headers, priority, max_attempts, attempts, published_at, reply_to, reason, dead_at)
  SELECT queue, id, name, payload, headers, priority, max_attempts, attempt, published_at, reply_to, 'lease expired after ' || attempt || ' attempts', ?
  FROM queue_messages WHERE queue = ? AND state = 2 AND due_at <= ? AND attempt >= max_attempts`;
/** ...and leave the queue. */
export const DELETE_LAPSED_EXHAUSTED = 'DELETE FROM queue_messages WHERE queue = ? AND state = 2 AND due_at <= ? AND attempt >= max_attempts';
/** Maintenance: other lapsed leases are ready again (and counted as redelivered when leased). */
export const RECLAIM_LAPSED = 'UPDATE queue_messages SET state = 0, due_at = 0, lease_owner = NULL WHERE queue = ? AND state = 2 AND due_at <= ?';

/**
 * The batch lease: one statement takes up to `LIMIT` ready rows in delivery
 * order. RETURNING order is unspecified, so the caller re-sorts.
 */
export const LEASE_READY = `
  UPDATE queue_messages SET state = 2, attempt = attempt + 1, due_at = ?, lease_owner = ?
  WHERE seq IN (SELECT seq FROM queue_messages WHERE queue = ? AND state = 0 ORDER BY priority DESC, seq LIMIT ?)
  RETURNING seq, id, name, payload, headers, priority, attempt, max_attempts, published_at, reply_to`;
/** Adds to a queue's count of deliveries beyond the first. */
export const BUMP_REDELIVERED = `
  INSERT INTO queue_counters (queue, redelivered) VALUES (?, ?)
  ON CONFLICT (queue) DO UPDATE SET redelivered = redelivered + excluded.redelivered`;

/**
 * Settles, fenced by (seq, attempt). Ack and nack accept a lapsed lease no one
 * took over yet: the work is done, and there is no other holder to protect.
 */
export const ACK = 'DELETE FROM queue_messages WHERE seq = ? AND attempt = ?';
/** The lease a nack refers to, if still current. */
export const SELECT_LEASE = 'SELECT max_attempts AS maxAttempts FROM queue_messages WHERE seq = ? AND attempt = ?';
/** Nack with requeue: ready now, or delayed until `due_at`. */
export const REQUEUE = 'UPDATE queue_messages SET state = ?, due_at = ?, lease_owner = NULL WHERE seq = ? AND attempt = ?';
/** Heartbeat: a later lease end, only while the lease is held. */
export const EXTEND = 'UPDATE queue_messages SET due_at = ? WHERE seq = ? AND attempt = ? AND state = 2';
/** Gives a lease up: it lapses now and the next maintenance reclaims it. */
export const RELEASE = 'UPDATE queue_messages SET due_at = 0 WHERE seq = ? AND attempt = ? AND state = 2';
/** Copies one row to dead letters with a reason (then `DELETE_ONE`). */
export const DEAD_LETTER_ONE = `
  INSERT OR REPLACE INTO queue_dead_letters (queue, id, name, payload, headers, priority, max_attempts, attempts, published_at, reply_to, reason, dead_at)
  SELECT queue, id, name, payload, headers, priority, max_attempts, attempt, published_at, reply_to, ?, ?
  FROM queue_messages WHERE seq = ?`;
/** Removes one row by its key. */
export const DELETE_ONE = 'DELETE FROM queue_messages WHERE seq = ?';

/** Stats: each count walks one partial index. */
export const COUNT_READY = 'SELECT COUNT(*) FROM queue_messages WHERE queue = ? AND state = 0';
/** Stats: rows waiting for a delay (due ones are reported as ready). */
export const COUNT_DELAYED = 'SELECT COUNT(*) FROM queue_messages WHERE queue = ? AND state = 1';
/** Stats: delayed rows already due. */
export const COUNT_DELAYED_DUE = 'SELECT COUNT(*) FROM queue_messages WHERE queue = ? AND state = 1 AND due_at <= ?';
/** Stats: leased rows. */
export const COUNT_LEASED = 'SELECT COUNT(*) FROM queue_messages WHERE queue = ? AND state = 2';
/** Stats: dead letters. */
export const COUNT_DEAD = 'SELECT COUNT(*) FROM queue_dead_letters WHERE queue = ?';
/** Stats: deliveries beyond the first. */
export const SELECT_REDELIVERED = 'SELECT redelivered FROM queue_counters WHERE queue = ?';

/** Dead letters, oldest first. */
export const LIST_DEAD = `
  SELECT id, name, payload, attempts, reason, dead_at AS deadAt
  FROM queue_dead_letters WHERE queue = ? ORDER BY dead_at, rowid LIMIT ?`;
/** Puts a dead letter back with attempt 0 (a no-op if its id is queued again meanwhile)... */
export const REQUEUE_DEAD = `
  INSERT INTO queue_messages (queue, id, name, payload, headers, priority, state, due_at, max_attempts, published_at, reply_to)
  SELECT queue, id, name, payload, headers, priority, 0, 0, max_attempts, published_at, reply_to
  FROM queue_dead_letters WHERE queue = ? AND id = ?
  ON CONFLICT (queue, id) DO NOTHING`;
/** ...and removes the dead letter. */
export const DELETE_DEAD = 'DELETE FROM queue_dead_letters WHERE queue = ? AND id = ?';

/** Drops a queue's rows (private reply queues). */
export const PURGE_QUEUE = 'DELETE FROM queue_messages WHERE queue = ?';

/** Owners: who holds leases, so a restart can free those of a dead process at once. */
export const INSERT_OWNER = 'INSERT INTO queue_owners (id, pid, hostname, started_at) VALUES (?, ?, ?, ?)';
/** Unregisters an owner (on close, or once found dead). */
export const DELETE_OWNER = 'DELETE FROM queue_owners WHERE id = ?';
/** Other owners on this host, whose pid can be checked. */
export const SELECT_OWNERS_ON_HOST = 'SELECT id, pid FROM queue_owners WHERE hostname = ? AND id <> ?';
/** Lapses every lease of one owner, returning their queues. */
export const RELEASE_OWNER_LEASES = 'UPDATE queue_messages SET due_at = 0 WHERE lease_owner = ? AND state = 2 RETURNING queue';
