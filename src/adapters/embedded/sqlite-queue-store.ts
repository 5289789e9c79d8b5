/**
 * @module adapters/embedded/sqlite-queue-store
 * The durable `QueueStore`: rows in SQLite, every operation a job in the
 * connection's {@link GroupCommit}, so nothing resolves before it is fsync'd
 * and a whole tick of publishes, acks and the next batch lease share one
 * transaction. Leases run in the batch's late phase, after its writes, so a
 * lease sees the acks that freed its slots and the publishes of the same tick.
 */
import { hostname } from 'node:os';
import type Database from 'better-sqlite3';
import type { Clock } from '../../core/clock.js';
import { MillraceError, messageOf } from '../../core/errors.js';
import { decodeJson } from '../../core/json-codec.js';
import { decodeForInspection, decodeMessageBody } from '../../core/message-body.js';
import type { Logger } from '../../core/logger.js';
import type { DeadLetter, QueueStats } from '../../ports/task-queue.js';
import type { LeaseRequest, LeaseTarget, LeasedMessage, NackCommand, PreparedMessage, QueueStore } from '../common/queue-store.js';
import { GroupCommit } from './group-commit.js';
import { openSqlite } from './sqlite-database.js';
import type { SqliteDatabase } from './sqlite-database.js';
import * as sql from './sqlite-task-queue-sql.js';
import { registerOwner } from './sqlite-queue-owners.js';

type Statement = Database.Statement;
/** Every SQL constant of the module, by name. */
type StatementName = { [K in keyof typeof sql]: (typeof sql)[K] extends string ? K : never }[keyof typeof sql];

interface LeasedRow {
  seq: number;
  id: string;
  name: string;
  /** JSON text, or a frame (BLOB) when the payload carries bytes: SQLite keeps either in the TEXT column. */
  payload: string | Buffer;
  headers: string | null;
  priority: number;
  attempt: number;
  max_attempts: number;
  published_at: number;
  reply_to: string | null;
}

interface DeadRow {
  id: string;
  name: string;
  payload: string | Buffer;
  attempts: number;
  reason: string;
  deadAt: number;
}

/** Options of {@link SqliteQueueStore}. */
export interface SqliteQueueStoreOptions {
  path: string;
  clock: Clock;
  logger: Logger;
  /** Unique per instance; recorded as the owner of its leases. */
  ownerId: string;
}

/** SQLite storage behind `SqliteTaskQueue`. */
export class SqliteQueueStore implements QueueStore {
  private readonly db: SqliteDatabase;
  private readonly commits: GroupCommit;
  private readonly ownerId: string;
  private readonly statements: Record<StatementName, Statement>;
  private readonly insertBatch: (queue: string, messages: readonly PreparedMessage[], now: number) => void;
  private readonly deadLetterOne: (seq: number, reason: string, now: number) => void;
  private readonly requeueDead: (queue: string, id: string) => void;

  constructor(options: SqliteQueueStoreOptions) {
    this.db = openSqlite({ path: options.path, component: 'queue', migrations: sql.QUEUE_MIGRATIONS });
    this.ownerId = options.ownerId;
    this.statements = prepareAll(this.db);
    this.commits = new GroupCommit(this.db, options.clock, `task queue ${options.path}`);
    const s = this.statements;
    this.insertBatch = this.commits.atomic((queue, messages, now) => {
      for (const m of messages) {
        const state = m.delayMs > 0 ? sql.STATE_DELAYED : sql.STATE_READY;
        s.INSERT_MESSAGE.run(queue, m.id, m.name, m.body, m.headersJson, m.priority, state, m.delayMs > 0 ? now + m.delayMs : 0, m.maxAttempts, now, m.replyTo);
      }
    });
    this.deadLetterOne = this.commits.atomic((seq, reason, now) => {
      s.DEAD_LETTER_ONE.run(reason, now, seq);
      s.DELETE_ONE.run(seq);
    });
    this.requeueDead = this.commits.atomic((queue, id) => {
      s.REQUEUE_DEAD.run(queue, id);
      if (s.DELETE_DEAD.run(queue, id).changes === 0) {
        throw new MillraceError('QUEUE_MESSAGE_NOT_FOUND', `no dead letter ${id} in queue ${queue}`, { queue, messageId: id });
      }
    });
    const now = options.clock.now();
    const released = registerOwner(this.db, { ownerId: this.ownerId, hostname: hostname(), now }, (queue) => this.reclaimLapsed(queue, now));
    if (released > 0) options.logger.info({ path: options.path, released }, 'released leases held by dead processes');
  }

  publish(queue: string, messages: readonly PreparedMessage[]): Promise<void> {
    return this.commits.submit((now) => this.insertBatch(queue, messages, now));
  }

  lease(request: LeaseRequest): Promise<LeasedMessage[]> {
    return this.commits.submit((now) => this.leaseNow(request, now), 'late', 'visible');
  }

  ack(target: LeaseTarget): Promise<void> {
    // An ack lost to a power cut redelivers the message: at least once allows it, so it waits for no fsync.
    return this.commits.submit(() => {
      if (this.statements.ACK.run(target.handle, target.attempt).changes === 0) throw leaseLost(target);
    }, 'write', 'visible');
  }

  nack(target: LeaseTarget, command: NackCommand): Promise<void> {
    return this.commits.submit((now) => {
      const s = this.statements;
      const row = s.SELECT_LEASE.get(target.handle, target.attempt) as { maxAttempts: number } | undefined;
      if (row === undefined) throw leaseLost(target);
      if (!command.requeue || target.attempt >= row.maxAttempts) {
        this.deadLetterOne(target.handle, command.reason, now);
      } else if (command.delayMs > 0) {
        s.REQUEUE.run(sql.STATE_DELAYED, now + command.delayMs, target.handle, target.attempt);
      } else {
        s.REQUEUE.run(sql.STATE_READY, 0, target.handle, target.attempt);
      }
    });
  }

  extend(target: LeaseTarget, ms: number): Promise<number> {
    return this.commits.submit((now) => {
      const until = now + ms;
      if (this.statements.EXTEND.run(until, target.handle, target.attempt).changes === 0) throw leaseLost(target);
      return until;
    });
  }

  release(targets: readonly LeaseTarget[]): Promise<void> {
    return this.commits.submit((now) => {
      const queues = new Set<string>();
      for (const target of targets) {
        if (this.statements.RELEASE.run(target.handle, target.attempt).changes > 0) queues.add(target.queue);
      }
      // Lapse them now rather than at the next lease, so stats show them ready at once.
      for (const queue of queues) this.reclaimLapsed(queue, now);
    });
  }

  stats(queue: string): Promise<QueueStats> {
    return this.commits.submit((now) => {
      const s = this.statements;
      const count = (statement: Statement, ...args: unknown[]): number => Number(statement.pluck().get(...args) ?? 0);
      const due = count(s.COUNT_DELAYED_DUE, queue, now);
      return {
        ready: count(s.COUNT_READY, queue) + due,
        delayed: count(s.COUNT_DELAYED, queue) - due,
        inFlight: count(s.COUNT_LEASED, queue),
        deadLettered: count(s.COUNT_DEAD, queue),
        redelivered: count(s.SELECT_REDELIVERED, queue),
      };
    });
  }

  deadLetters(queue: string, limit: number): Promise<DeadLetter[]> {
    return this.commits.submit(() =>
      (this.statements.LIST_DEAD.all(queue, limit) as DeadRow[]).map((row) => ({
        id: row.id,
        queue,
        name: row.name,
        payload: decodeForInspection(row.payload),
        attempts: row.attempts,
        reason: row.reason,
        deadAt: row.deadAt,
      })),
    );
  }

  requeueDeadLetter(queue: string, id: string): Promise<void> {
    return this.commits.submit(() => this.requeueDead(queue, id));
  }

  dropDeadLetter(queue: string, id: string): Promise<void> {
    return this.commits.submit(() => {
      if (this.statements.DELETE_DEAD.run(queue, id).changes === 0) {
        throw new MillraceError('QUEUE_MESSAGE_NOT_FOUND', `no dead letter ${id} in queue ${queue}`, { queue, messageId: id });
      }
    });
  }

  purge(queue: string): Promise<void> {
    return this.commits.submit(() => {
      this.statements.PURGE_QUEUE.run(queue);
    });
  }

  async close(): Promise<void> {
    this.commits.close();
    this.statements.DELETE_OWNER.run(this.ownerId);
    this.db.close();
  }

  /** Maintenance, then fill the consumer's free slots with one statement. */
  private leaseNow(request: LeaseRequest, now: number): LeasedMessage[] {
    const s = this.statements;
    s.PROMOTE_DUE.run(request.queue, now);
    this.reclaimLapsed(request.queue, now);
    const leased: LeasedMessage[] = [];
    let redelivered = 0;
    let wanted = request.capacity();
    while (wanted > 0) {
      const rows = s.LEASE_READY.all(now + request.leaseMs, this.ownerId, request.queue, wanted) as LeasedRow[];
      rows.sort((a, b) => b.priority - a.priority || a.seq - b.seq);
      for (const row of rows) {
        const message = this.decodeRow(request.queue, row, now + request.leaseMs, now);
        if (message === undefined) continue;
        leased.push(message);
        if (row.attempt > 1) redelivered++;
      }
      // Fewer rows than asked: the queue is empty. Otherwise refill what corrupt rows took.
      wanted = rows.length < wanted ? 0 : request.capacity() - leased.length;
    }
    if (redelivered > 0) s.BUMP_REDELIVERED.run(request.queue, redelivered);
    return leased;
  }

  private reclaimLapsed(queue: string, now: number): void {
    const s = this.statements;
    s.DEAD_LETTER_LAPSED.run(now, queue, now);
    s.DELETE_LAPSED_EXHAUSTED.run(queue, now);
    s.RECLAIM_LAPSED.run(queue, now);
  }

  /** A row that no longer decodes is dead-lettered with the codec's reason; it never reaches a handler. */
  private decodeRow(queue: string, row: LeasedRow, leaseUntil: number, now: number): LeasedMessage | undefined {
    let payload: unknown;
    let headers: Record<string, string>;
    try {
      payload = decodeMessageBody(row.payload);
      headers = row.headers === null ? {} : (decodeJson(row.headers) as Record<string, string>);
    } catch (error) {
      this.deadLetterOne(row.seq, `undecodable message: ${messageOf(error)}`, now);
      return undefined;
    }
    return {
      queue,
      id: row.id,
      handle: row.seq,
      attempt: row.attempt,
      name: row.name,
      payload,
      priority: row.priority,
      maxAttempts: row.max_attempts,
      headers,
      publishedAt: row.published_at,
      replyTo: row.reply_to,
      leaseUntil,
    };
  }
}

function prepareAll(db: SqliteDatabase): Record<StatementName, Statement> {
  const out: Record<string, Statement> = {};
  for (const [name, text] of Object.entries(sql)) if (typeof text === 'string') out[name] = db.prepare(text);
  return out as Record<StatementName, Statement>;
}

function leaseLost(target: LeaseTarget): MillraceError {
  return new MillraceError('QUEUE_LEASE_LOST', `lease on message ${target.id} (attempt ${target.attempt}) was lost: it expired and was handed out again, or the message is gone`, {
    queue: target.queue,
    messageId: target.id,
    attempt: target.attempt,
  });
}
