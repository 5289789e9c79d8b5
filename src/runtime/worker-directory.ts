/**
 * @module runtime/worker-directory
 * Worker heartbeats over the engine's Log: every worker appends a beat to
 * the topic `millrace.workers` every few seconds, and any server reads the
 * topic to list who is connected — embedded threads and `millrace worker`
 * processes on other machines alike, with no registry service to run.
 *
 * ```
 *  worker ──beat every 5 s──▶ millrace.workers (1 partition) ◀──tail── WorkerDirectory (each server)
 * ```
 *
 * A reader never scans the whole topic: on its first look it pages back
 * from the end only until beats are older than `keepMs`, then it reads
 * just what was appended since its last look. The topic is not truncated
 * (the Log has no retention yet): about 300 bytes a beat, 5 MB a day for a
 * worker beating every 5 s.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { messageOf } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { Repeating } from '../core/repeating.js';
import type { Log } from '../ports/log.js';
import { asBeat, foldHeartbeats, type WorkerBeat, type WorkerView } from './worker-heartbeat.js';

export const WORKERS_TOPIC = 'millrace.workers';

/** @defaultValue 5 000 ms */
export const DEFAULT_BEAT_MS = 5_000;

const PAGE = 1000;

/** What a worker reports of itself at each beat. */
export type WorkerSnapshot = Omit<WorkerBeat, 'id' | 'host' | 'pid' | 'startedAt' | 'beatAt' | 'intervalMs' | 'stopped'>;

export interface HeartbeatOptions {
  log: Log;
  clock: Clock;
  logger: Logger;
  /** @defaultValue {@link DEFAULT_BEAT_MS} */
  intervalMs?: number;
  snapshot: () => WorkerSnapshot;
}

export interface Heartbeat {
  readonly id: string;
  /** Stops beating and records a last beat saying the worker stopped. */
  stop(): Promise<void>;
}

/**
 * Beats at once, then every `intervalMs`. A beat that cannot be written is
 * logged and the next one tried: a worker keeps working while the Log is
 * briefly away (readers then show it as gone until it is back).
 */
export function startHeartbeat(options: HeartbeatOptions): Heartbeat {
  const { log, clock, logger } = options;
  const intervalMs = options.intervalMs ?? DEFAULT_BEAT_MS;
  const id = randomUUID();
  const host = hostname();
  const startedAt = clock.now();
  let created = false;
  const beat = async (stopped: boolean): Promise<void> => {
    if (!created) await log.createTopic(WORKERS_TOPIC, { partitions: 1 });
    created = true;
    const now = clock.now();
    const value: WorkerBeat = { ...options.snapshot(), id, host, pid: process.pid, startedAt, beatAt: now, intervalMs, ...(stopped ? { stopped } : {}) };
    await log.append(WORKERS_TOPIC, [{ key: id, value, timestamp: now }]);
  };
  const loop = new Repeating({ clock, intervalMs, firstDelayMs: 0, work: () => beat(false), onError: (error) => logger.warn({ error: messageOf(error) }, 'could not send a worker heartbeat') });
  loop.start();
  return {
    id,
    stop: async () => {
      await loop.stop();
      await beat(true).catch((error: unknown) => logger.warn({ error: messageOf(error) }, 'could not send the last worker heartbeat'));
    },
  };
}

/** Lists workers from their beats, keeping its place in the topic between looks. */
export class WorkerDirectory {
  private readonly beats = new Map<string, WorkerBeat>();
  private next: number | undefined;
  private turn: Promise<unknown> = Promise.resolve();

  /** @param keepMs workers silent longer than this are no longer listed @defaultValue 10 minutes */
  constructor(private readonly log: Log, private readonly clock: Clock, private readonly keepMs = 600_000) {}

  /** Every worker heard from within `keepMs`, judged now. Looks run one at a time: they share the read position. */
  list(): Promise<WorkerView[]> {
    const look = this.turn.catch(() => undefined).then(async () => {
      await this.catchUp();
      const now = this.clock.now();
      for (const [id, beat] of this.beats) if (now - beat.beatAt > this.keepMs) this.beats.delete(id);
      return foldHeartbeats(this.beats.values(), now);
    });
    this.turn = look;
    return look;
  }

  private async catchUp(): Promise<void> {
    await this.log.createTopic(WORKERS_TOPIC, { partitions: 1 });
    const end = (await this.log.topicInfo(WORKERS_TOPIC)).endOffsets[0] ?? 0;
    let from = this.next ?? (await this.recentStart(end));
    while (from < end) {
      const page = await this.log.read(WORKERS_TOPIC, 0, from, { limit: PAGE });
      if (page.length === 0) break;
      for (const record of page) this.remember(record.value);
      from = page.at(-1)!.offset + 1;
    }
    this.next = from;
  }

  /** The first offset worth reading: paging back from the end until beats are older than `keepMs`. */
  private async recentStart(end: number): Promise<number> {
    const oldest = this.clock.now() - this.keepMs;
    let from = end;
    while (from > 0) {
      const start = Math.max(0, from - PAGE);
      const page = await this.log.read(WORKERS_TOPIC, 0, start, { limit: from - start });
      if (page.length === 0 || page[0]!.timestamp < oldest) return page.find((record) => record.timestamp >= oldest)?.offset ?? from;
      from = start;
    }
    return 0;
  }

  private remember(value: unknown): void {
    const beat = asBeat(value);
    if (beat === undefined) return;
    const seen = this.beats.get(beat.id);
    if (seen === undefined || beat.beatAt >= seen.beatAt) this.beats.set(beat.id, beat);
  }
}
