/**
 * @module jobs/blob-collector
 * Deletes orphan blobs: blobs the engine wrote for itself that nothing
 * will ever read. They come from crashes between an upload and the
 * message or event that would have pointed to it (a claim-check payload
 * put, then the process killed before its append), from task attempts
 * whose result was superseded, and from MapReduce intermediates once
 * their process has ended.
 *
 * The rule, for one round at time `now` with a TTL (default 24 h):
 *
 * | blob | removed when |
 * | --- | --- |
 * | `claims/…` | older than the TTL **and** no stored event, of any process, and no dead letter refers to it |
 * | `mapreduce/<pid>/…` | older than the TTL **and** process `<pid>` is `completed` or `cancelled` **and** the blob is not part of its result (not under `final/`, not referred to by its input or output, claimed ones read through) **and** no other process's event nor a dead letter refers to it |
 * | anything else | never: user inputs, datasets, stream sinks are the user's |
 *
 * Why each part:
 * - **The TTL** protects a blob whose reference is still on its way: every
 *   path uploads first, awaits the upload, then publishes (so no message
 *   can point to a missing blob), and the TTL is the time allowed between
 *   the two, and for a message to wait in a queue. A `put` of content that
 *   is already stored refreshes its age (the `BlobStore` contract), so a
 *   content-addressed claim in use again looks young; and each blob's age
 *   is read again just before it is deleted.
 * - **References from any stored event** keep a claim whatever its
 *   process's state: events are never deleted, so a history stays readable
 *   (`millrace history`), and a failed process can be resumed (`millrace
 *   retry`) with the inputs its events hold. Claims are content-addressed,
 *   so one blob may serve several processes.
 * - **Intermediates** of a `running` or `failed` process stay (the
 *   process may still, or again, read them); of a process this store has
 *   no events for, too (it may belong to another deployment sharing the
 *   bucket, or be read before its first event: never delete on a guess).
 *   A completed process's result is the user's and stays, like every
 *   reference from its events, for as long as the process exists — and
 *   processes are never deleted.
 *
 * What is not safe: a TTL shorter than the longest a message waits
 * (in a queue, or a batch's results waiting for their caller), and a
 * second deployment that shares the blob store but not the event store.
 * The one window left open: content orphaned longer than the TTL,
 * uploaded again between this round's last look at its age and its
 * delete (a few milliseconds on a file system, one request on S3).
 */
import type { Clock } from '../core/clock.js';
import { messageOf } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { Repeating } from '../core/repeating.js';
import type { BlobEntry, BlobStore } from '../ports/blob-store.js';
import type { EventStore } from '../ports/event-store.js';
import { checkOut, isClaimTicket } from '../workers/claim-check.js';
import { refsIn } from './blob-references.js';
import { processIdOfStream } from './process-events.js';

/** @defaultValue 24 hours */
export const DEFAULT_BLOB_TTL_MS = 24 * 60 * 60 * 1000;
/** @defaultValue one hour */
export const DEFAULT_BLOB_COLLECT_INTERVAL_MS = 60 * 60 * 1000;

/** Why a blob under the engine's prefixes was kept. */
export type KeptReason = 'referenced' | 'young' | 'result' | 'process-open' | 'process-unknown';

export interface BlobCollection {
  dryRun: boolean;
  ttlMs: number;
  /** Blobs last put before this (epoch ms) were old enough to go. */
  cutoff: number;
  /** Deleted (or, on a dry run, that would be). */
  removed: Array<{ key: string; size: number; modifiedAt: number }>;
  kept: Array<{ key: string; reason: KeptReason }>;
}

export interface BlobCollectorOptions {
  events: EventStore;
  blobs: BlobStore;
  clock: Clock;
  logger: Logger;
  /** @defaultValue {@link DEFAULT_BLOB_TTL_MS} */
  ttlMs?: number;
  /** Between rounds when started. @defaultValue {@link DEFAULT_BLOB_COLLECT_INTERVAL_MS} */
  intervalMs?: number;
  /** Values outside the event store that may hold refs (dead letters' payloads). @defaultValue none */
  moreReferences?: () => Promise<readonly unknown[]>;
  /** Events read per page. @defaultValue 1000 */
  pageSize?: number;
}

type ProcessStatus = 'running' | 'completed' | 'failed' | 'cancelled';

interface History {
  /** Keys of every blob any stored event (or dead letter) refers to. */
  referenced: Set<string>;
  /** `mapreduce/<pid>/…` keys referred to from outside process `<pid>`'s own events: another process's, or a dead letter. */
  borrowed: Set<string>;
  processes: Map<string, { status: ProcessStatus; results: unknown[] }>;
}

const STATUS_AFTER: Record<string, ProcessStatus> = {
  ProcessStarted: 'running', ProcessResumed: 'running', ProcessCompleted: 'completed', ProcessFailed: 'failed', ProcessCancelled: 'cancelled',
};

export class BlobCollector {
  private readonly loop: Repeating;

  constructor(private readonly options: BlobCollectorOptions) {
    this.loop = new Repeating({
      clock: options.clock, intervalMs: options.intervalMs ?? DEFAULT_BLOB_COLLECT_INTERVAL_MS,
      work: () => this.collect(),
      onError: (error) => options.logger.warn({ error: messageOf(error) }, 'could not collect orphan blobs'),
    });
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** One round. A round that cannot read every reference throws and deletes nothing it has not already checked. */
  async collect(options: { dryRun?: boolean; ttlMs?: number } = {}): Promise<BlobCollection> {
    const ttlMs = options.ttlMs ?? this.options.ttlMs ?? DEFAULT_BLOB_TTL_MS;
    const dryRun = options.dryRun ?? false;
    const cutoff = this.options.clock.now() - ttlMs;
    const history = await this.readHistory();
    const resultKeys = await this.resultKeys(history);
    const collection: BlobCollection = { dryRun, ttlMs, cutoff, removed: [], kept: [] };
    for (const prefix of ['claims/', 'mapreduce/']) {
      for await (const entry of this.options.blobs.listEntries(prefix)) {
        const reason = keepReason(entry, cutoff, history, resultKeys);
        if (reason !== undefined) {
          collection.kept.push({ key: entry.ref.key, reason });
          continue;
        }
        if (!dryRun && !(await this.removeIfStillOld(entry.ref.key, cutoff))) {
          collection.kept.push({ key: entry.ref.key, reason: 'young' });
          continue;
        }
        collection.removed.push({ key: entry.ref.key, size: entry.ref.size, modifiedAt: entry.modifiedAt });
      }
    }
    if (collection.removed.length > 0) {
      this.options.logger.info({ removed: collection.removed.length, kept: collection.kept.length, dryRun }, 'collected orphan blobs');
    }
    return collection;
  }

  private async readHistory(): Promise<History> {
    const history: History = { referenced: new Set(), borrowed: new Set(), processes: new Map() };
    const limit = this.options.pageSize ?? 1000;
    for (let after = 0; ;) {
      const page = await this.options.events.readAll({ afterPosition: after, limit });
      if (page.length === 0) break;
      for (const event of page) {
        after = event.position;
        const processId = processIdOfStream(event.streamId);
        for (const ref of refsIn(event.data)) note(history, ref.key, processId);
        const status = STATUS_AFTER[event.type];
        if (processId === undefined || status === undefined) continue;
        const known = history.processes.get(processId) ?? { status, results: [] };
        known.status = status;
        const data = event.data as { input?: unknown; output?: unknown };
        if (event.type === 'ProcessStarted') known.results.push(data.input);
        if (event.type === 'ProcessCompleted') known.results.push(data.output);
        history.processes.set(processId, known);
      }
    }
    for (const value of (await this.options.moreReferences?.()) ?? []) {
      for (const ref of refsIn(value)) note(history, ref.key, undefined);
    }
    return history;
  }

  /** Keys a completed process's input and output point to, claimed values read through. */
  private async resultKeys(history: History): Promise<Set<string>> {
    const keys = new Set<string>();
    for (const { status, results } of history.processes.values()) {
      if (status !== 'completed') continue;
      for (const value of results) {
        for (const ref of refsIn(value)) keys.add(ref.key);
        if (isClaimTicket(value)) for (const ref of refsIn(await checkOut(value, this.options.blobs))) keys.add(ref.key);
      }
    }
    return keys;
  }

  /** Deletes `key` unless it was put again since it was listed; true when deleted (or already gone). */
  private async removeIfStillOld(key: string, cutoff: number): Promise<boolean> {
    for await (const entry of this.options.blobs.listEntries(key)) {
      if (entry.ref.key === key && entry.modifiedAt >= cutoff) return false;
    }
    await this.options.blobs.delete(key);
    return true;
  }
}

function note(history: History, key: string, processId: string | undefined): void {
  history.referenced.add(key);
  if (key.startsWith('mapreduce/') && key.split('/')[1] !== processId) history.borrowed.add(key);
}

function keepReason(entry: BlobEntry, cutoff: number, history: History, resultKeys: Set<string>): KeptReason | undefined {
  const { key } = entry.ref;
  if (history.referenced.has(key) && key.startsWith('claims/')) return 'referenced';
  if (key.startsWith('mapreduce/')) {
    const [, processId = '', part = ''] = key.split('/');
    const process = history.processes.get(processId);
    if (process === undefined) return 'process-unknown';
    if (process.status === 'running' || process.status === 'failed') return 'process-open';
    if (resultKeys.has(key) || (process.status === 'completed' && part === 'final')) return 'result';
    if (history.borrowed.has(key)) return 'referenced';
  }
  if (entry.modifiedAt >= cutoff) return 'young';
  return undefined;
}
