/**
 * @module adapters/embedded/memory-queue-store
 * The ephemeral `QueueStore`: the same row states as the SQLite store
 * (ready, delayed, leased, dead), kept in maps and per-priority FIFO lists,
 * gone when the process ends. Payloads are kept as encoded JSON text and
 * decoded per delivery, so a handler never shares an object with the
 * publisher, exactly as with a durable store.
 */
import type { Clock } from '../../core/clock.js';
import { MillraceError } from '../../core/errors.js';
import { decodeJson } from '../../core/json-codec.js';
import { decodeMessageBody } from '../../core/message-body.js';
import type { DeadLetter, QueueStats } from '../../ports/task-queue.js';
import type { LeaseRequest, LeaseTarget, LeasedMessage, NackCommand, PreparedMessage, QueueStore } from '../common/queue-store.js';

interface Row extends PreparedMessage {
  queue: string;
  seq: number;
  state: 'ready' | 'delayed' | 'leased';
  /** Delayed: when ready. Leased: when the lease lapses. */
  dueAt: number;
  attempt: number;
  publishedAt: number;
}

interface DeadRow {
  row: Row;
  reason: string;
  deadAt: number;
}

const PRIORITIES = 10;

/** One queue's rows. Ready lists may hold stale entries; `state` is the truth. */
class QueueRows {
  readonly byId = new Map<string, Row>();
  readonly bySeq = new Map<number, Row>();
  readonly ready: Row[][] = Array.from({ length: PRIORITIES }, () => []);
  readonly readyHeads: number[] = new Array<number>(PRIORITIES).fill(0);
  readonly delayed = new Set<Row>();
  readonly leased = new Set<Row>();
  readonly dead = new Map<string, DeadRow>();
  readyCount = 0;
  redelivered = 0;

  makeReady(row: Row): void {
    row.state = 'ready';
    row.dueAt = 0;
    this.readyCount++;
    this.ready[row.priority]!.push(row);
  }

  /** Takes the next ready row: highest priority, oldest first. */
  takeReady(): Row | undefined {
    for (let p = PRIORITIES - 1; p >= 0; p--) {
      const list = this.ready[p]!;
      let head = this.readyHeads[p]!;
      while (head < list.length) {
        const row = list[head++]!;
        if (row.state !== 'ready' || this.bySeq.get(row.seq) !== row) continue;
        this.readyHeads[p] = head;
        this.compact(p);
        this.readyCount--;
        return row;
      }
      this.readyHeads[p] = head;
      this.compact(p);
    }
    return undefined;
  }

  /** Removes a row in any state. */
  remove(row: Row): void {
    if (row.state === 'ready') this.readyCount--;
    this.delayed.delete(row);
    this.leased.delete(row);
    this.byId.delete(row.id);
    this.bySeq.delete(row.seq);
  }

  private compact(p: number): void {
    const head = this.readyHeads[p]!;
    const list = this.ready[p]!;
    if (head === list.length) {
      list.length = 0;
      this.readyHeads[p] = 0;
    } else if (head > 1024 && head * 2 > list.length) {
      list.splice(0, head);
      this.readyHeads[p] = 0;
    }
  }
}

/** Memory storage behind `MemoryTaskQueue`. */
export class MemoryQueueStore implements QueueStore {
  private readonly queues = new Map<string, QueueRows>();
  private seq = 0;
  private closed = false;

  constructor(private readonly clock: Clock) {}

  async publish(queue: string, messages: readonly PreparedMessage[]): Promise<void> {
    const rows = this.rows(queue);
    const now = this.clock.now();
    for (const message of messages) {
      if (rows.byId.has(message.id)) continue;
      const row = newRow(queue, message, ++this.seq, now);
      rows.byId.set(row.id, row);
      rows.bySeq.set(row.seq, row);
      if (message.delayMs > 0) this.delay(rows, row, now + message.delayMs);
      else rows.makeReady(row);
    }
  }

  async lease(request: LeaseRequest): Promise<LeasedMessage[]> {
    const rows = this.rows(request.queue);
    const now = this.clock.now();
    this.maintain(rows, now);
    const leased: LeasedMessage[] = [];
    const wanted = request.capacity();
    const leaseUntil = now + request.leaseMs;
    while (leased.length < wanted) {
      const row = rows.takeReady();
      if (row === undefined) break;
      row.state = 'leased';
      row.attempt++;
      row.dueAt = leaseUntil;
      rows.leased.add(row);
      if (row.attempt > 1) rows.redelivered++;
      leased.push(toLeased(row, leaseUntil));
    }
    return leased;
  }

  async ack(target: LeaseTarget): Promise<void> {
    const { rows, row } = this.target(target);
    rows.remove(row);
  }

  async nack(target: LeaseTarget, command: NackCommand): Promise<void> {
    const { rows, row } = this.target(target);
    const now = this.clock.now();
    if (!command.requeue || row.attempt >= row.maxAttempts) {
      this.deadLetter(rows, row, command.reason, now);
      return;
    }
    rows.leased.delete(row);
    if (row.state === 'ready') rows.readyCount--;
    if (command.delayMs > 0) this.delay(rows, row, now + command.delayMs);
    else rows.makeReady(row);
  }

  async extend(target: LeaseTarget, ms: number): Promise<number> {
    const { row } = this.target(target);
    if (row.state !== 'leased') throw leaseLost(target);
    row.dueAt = this.clock.now() + ms;
    return row.dueAt;
  }

  async release(targets: readonly LeaseTarget[]): Promise<void> {
    this.assertOpen();
    for (const target of targets) {
      const rows = this.queues.get(target.queue);
      const row = rows?.bySeq.get(target.handle);
      if (rows === undefined || row === undefined || row.attempt !== target.attempt || row.state !== 'leased') continue;
      row.dueAt = 0;
      this.maintain(rows, this.clock.now());
    }
  }

  async stats(queue: string): Promise<QueueStats> {
    const rows = this.rows(queue);
    const now = this.clock.now();
    let due = 0;
    for (const row of rows.delayed) if (row.dueAt <= now) due++;
    return {
      ready: rows.readyCount + due,
      delayed: rows.delayed.size - due,
      inFlight: rows.leased.size,
      deadLettered: rows.dead.size,
      redelivered: rows.redelivered,
    };
  }

  async deadLetters(queue: string, limit: number): Promise<DeadLetter[]> {
    const out: DeadLetter[] = [];
    for (const dead of this.rows(queue).dead.values()) {
      if (out.length >= limit) break;
      const { row } = dead;
      out.push({ id: row.id, queue, name: row.name, payload: decodeMessageBody(row.body), attempts: row.attempt, reason: dead.reason, deadAt: dead.deadAt });
    }
    return out;
  }

  async requeueDeadLetter(queue: string, id: string): Promise<void> {
    const rows = this.rows(queue);
    const dead = rows.dead.get(id);
    if (dead === undefined) throw new MillraceError('QUEUE_MESSAGE_NOT_FOUND', `no dead letter ${id} in queue ${queue}`, { queue, messageId: id });
    rows.dead.delete(id);
    // Same rule as publish: an id that is queued again already is not duplicated.
    if (rows.byId.has(id)) return;
    const row = newRow(queue, dead.row, ++this.seq, dead.row.publishedAt);
    rows.byId.set(id, row);
    rows.bySeq.set(row.seq, row);
    rows.makeReady(row);
  }

  async dropDeadLetter(queue: string, id: string): Promise<void> {
    if (!this.rows(queue).dead.delete(id)) throw new MillraceError('QUEUE_MESSAGE_NOT_FOUND', `no dead letter ${id} in queue ${queue}`, { queue, messageId: id });
  }

  async purge(queue: string): Promise<void> {
    this.assertOpen();
    this.queues.delete(queue);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.queues.clear();
  }

  /** Due delayed rows become ready; lapsed leases return, or die if out of attempts. */
  private maintain(rows: QueueRows, now: number): void {
    for (const row of rows.delayed) {
      if (row.dueAt > now) continue;
      rows.delayed.delete(row);
      rows.makeReady(row);
    }
    for (const row of rows.leased) {
      if (row.dueAt > now) continue;
      if (row.attempt >= row.maxAttempts) {
        this.deadLetter(rows, row, `lease expired after ${row.attempt} attempts`, now);
      } else {
        rows.leased.delete(row);
        rows.makeReady(row);
      }
    }
  }

  private delay(rows: QueueRows, row: Row, dueAt: number): void {
    row.state = 'delayed';
    row.dueAt = dueAt;
    rows.delayed.add(row);
  }

  private deadLetter(rows: QueueRows, row: Row, reason: string, now: number): void {
    rows.remove(row);
    rows.dead.delete(row.id);
    rows.dead.set(row.id, { row, reason, deadAt: now });
  }

  private target(target: LeaseTarget): { rows: QueueRows; row: Row } {
    const rows = this.rows(target.queue);
    const row = rows.bySeq.get(target.handle);
    if (row === undefined || row.attempt !== target.attempt) throw leaseLost(target);
    return { rows, row };
  }

  private rows(queue: string): QueueRows {
    this.assertOpen();
    let rows = this.queues.get(queue);
    if (rows === undefined) {
      rows = new QueueRows();
      this.queues.set(queue, rows);
    }
    return rows;
  }

  private assertOpen(): void {
    if (this.closed) throw new MillraceError('QUEUE_CLOSED', 'the memory task queue is closed');
  }
}

/** Rows built field by field, not by spreading: one stable object shape keeps the hot paths fast. */
function newRow(queue: string, message: PreparedMessage, seq: number, publishedAt: number): Row {
  return {
    queue,
    seq,
    id: message.id,
    name: message.name,
    body: message.body,
    priority: message.priority,
    delayMs: message.delayMs,
    maxAttempts: message.maxAttempts,
    headersJson: message.headersJson,
    replyTo: message.replyTo,
    state: 'ready',
    dueAt: 0,
    attempt: 0,
    publishedAt,
  };
}

function toLeased(row: Row, leaseUntil: number): LeasedMessage {
  return {
    queue: row.queue,
    id: row.id,
    handle: row.seq,
    attempt: row.attempt,
    name: row.name,
    payload: decodeMessageBody(row.body),
    priority: row.priority,
    maxAttempts: row.maxAttempts,
    headers: row.headersJson === null ? {} : (decodeJson(row.headersJson) as Record<string, string>),
    publishedAt: row.publishedAt,
    replyTo: row.replyTo,
    leaseUntil,
  };
}

function leaseLost(target: LeaseTarget): MillraceError {
  return new MillraceError('QUEUE_LEASE_LOST', `lease on message ${target.id} (attempt ${target.attempt}) was lost: it expired and was handed out again, or the message is gone`, {
    queue: target.queue,
    messageId: target.id,
    attempt: target.attempt,
  });
}
