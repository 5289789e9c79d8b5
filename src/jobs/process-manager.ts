/**
 * @module jobs/process-manager
 * The imperative shell around the decider: loads a process's state, decides
 * commands, stores the events. One writer per process: commands for a
 * process queue up and are applied one at a time, and every command that
 * arrived while the previous batch was being stored is decided together and
 * appended in one write. A hundred completions of one batch step cost one
 * append, not a hundred; this is what keeps a 10,000-task fan-out fast.
 *
 * Another orchestrator may write to the same stream: the append carries the
 * version the state was folded from, and on `EVENT_STORE_VERSION_CONFLICT`
 * the batch is decided again on the reloaded state. Commands are idempotent
 * (a completion already applied comes back `duplicate`), so deciding again
 * is safe.
 *
 * Large task inputs are moved to the blob store before the append
 * (claim-check); claimed outputs are loaded before deciding, because the
 * decider is synchronous and step functions see outputs as values.
 */
import type { Clock } from '../core/clock.js';
import { MillraceError, hasCode } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { stableHash } from '../core/ids.js';
import { encodeJson } from '../core/json-codec.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { EventStore, NewEvent, StoredEvent } from '../ports/event-store.js';
import { checkIn, checkOut, isClaimTicket } from '../workers/claim-check.js';
import type { CommandOutcome, ProcessCommand } from './process-commands.js';
import { decide } from './process-decider.js';
import { defineProcess, type ProcessDefinition } from './process-definition.js';
import { processIdOfStream, processStreamId, type ProcessEvent } from './process-events.js';
import type { ProcessRegistry } from './process-registry.js';
import { foldProcess, type ProcessState } from './process-state.js';

export interface ProcessManagerOptions {
  events: EventStore;
  blobs: BlobStore;
  registry: ProcessRegistry;
  clock: Clock;
  logger: Logger;
  /** Inputs above this many bytes of JSON go to the blob store. */
  claimCheckBytes: number;
  /** Processes whose state stays in memory. @defaultValue 1000 */
  cacheSize?: number;
}

/** The result of one command. */
export interface CommandResult {
  outcome: CommandOutcome;
  /** Events this command caused. */
  events: ProcessEvent[];
  state: ProcessState | undefined;
}

interface Pending {
  command: ProcessCommand;
  resolve: (result: CommandResult) => void;
  reject: (error: unknown) => void;
}

interface Loaded {
  state: ProcessState | undefined;
  definition: ProcessDefinition | undefined;
  /** Claimed outputs, by content hash: loaded once, read synchronously by the decider. */
  claimed: Map<string, unknown>;
}

const MAX_CONFLICT_RETRIES = 5;

/** Stands in for a definition this process has not loaded, for commands that need no steps. */
const CANCEL_ONLY: ProcessDefinition = defineProcess('cancel-only', 1, (p) => void p.task('none', { task: 'none' }));

export class ProcessManager {
  private readonly inboxes = new Map<string, Pending[]>();
  private readonly cache = new Map<string, Loaded>();
  /** Callers of `state` waiting for the batch of commands in hand to be stored. */
  private readonly waiting = new Map<string, Array<() => void>>();

  constructor(private readonly options: ProcessManagerOptions) {}

  /** Applies a command to a process; resolves once its events (if any) are stored. */
  execute(processId: string, command: ProcessCommand): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
      const inbox = this.inboxes.get(processId);
      if (inbox !== undefined) {
        inbox.push({ command, resolve, reject });
        return;
      }
      this.inboxes.set(processId, [{ command, resolve, reject }]);
      setImmediate(() => void this.drain(processId));
    });
  }

  /**
   * Current state, from memory or the event store: only what is stored.
   * While commands are being applied, the state in memory is ahead of the
   * store until their append commits (a turn of the event loop, in a group
   * commit); a caller told "completed" then could see a crash undo it. So
   * while commands are in hand this waits for the end of the batch being
   * applied (not for an empty inbox, which a busy fan-out may never have).
   */
  async state(processId: string): Promise<ProcessState | undefined> {
    if (this.inboxes.has(processId)) await new Promise<void>((resolve) => this.batchWaiters(processId).push(resolve));
    return (await this.load(processId)).state;
  }

  /**
   * Forgets cached states that are behind events read from the store: another
   * writer (a CLI's cancel or retry, a second orchestrator) moved the process
   * on. Without this, a retried task's result, from an attempt the stale
   * state never scheduled, would be ignored rather than meet a version
   * conflict and be decided again on the fresh state.
   */
  noteStored(events: readonly StoredEvent[]): void {
    for (const event of events) {
      const processId = processIdOfStream(event.streamId);
      if (processId === undefined) continue;
      const cached = this.cache.get(processId)?.state;
      if (cached !== undefined && cached.eventVersion < event.version) this.cache.delete(processId);
    }
  }

  /** Forgets cached state (tests, or after another writer is known to have written). */
  evict(processId: string): void {
    this.cache.delete(processId);
  }

  private async drain(processId: string): Promise<void> {
    const batch = this.inboxes.get(processId) ?? [];
    this.inboxes.set(processId, []);
    try {
      const results = await this.applyWithRetries(processId, batch.map((p) => p.command));
      batch.forEach((pending, i) => pending.resolve(results[i]!));
    } catch (error) {
      this.cache.delete(processId);
      for (const pending of batch) pending.reject(error);
    }
    // Resolved before the next batch can start (it waits for setImmediate): they see what was stored.
    const waiters = this.waiting.get(processId) ?? [];
    this.waiting.delete(processId);
    for (const resolve of waiters) resolve();
    const next = this.inboxes.get(processId)!;
    if (next.length > 0) {
      setImmediate(() => void this.drain(processId));
    } else {
      this.inboxes.delete(processId);
      this.trimCache();
    }
  }

  private batchWaiters(processId: string): Array<() => void> {
    const waiters = this.waiting.get(processId) ?? [];
    this.waiting.set(processId, waiters);
    return waiters;
  }

  private async applyWithRetries(processId: string, commands: ProcessCommand[]): Promise<CommandResult[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.apply(processId, commands);
      } catch (error) {
        this.cache.delete(processId);
        if (!hasCode(error, 'EVENT_STORE_VERSION_CONFLICT') || attempt >= MAX_CONFLICT_RETRIES) throw error;
        this.options.logger.warn({ processId, attempt }, 'another writer appended to this process; deciding again on the new state');
      }
    }
  }

  private async apply(processId: string, commands: ProcessCommand[]): Promise<CommandResult[]> {
    const loaded = await this.load(processId);
    const startVersion = loaded.state?.eventVersion ?? 0;
    await this.loadClaims(loaded, commands.flatMap((c) => (c.type === 'CompleteTask' ? [c.output] : [])));
    const results: CommandResult[] = [];
    const allEvents: ProcessEvent[] = [];
    for (const command of commands) {
      const definition = loaded.definition ?? this.definitionFor(command, loaded.state);
      if (definition !== CANCEL_ONLY) loaded.definition = definition;
      const decision = decide(loaded.state, command, definition, { resolveOutput: (v) => resolveClaim(v, loaded.claimed) });
      loaded.state = decision.state;
      allEvents.push(...decision.events);
      results.push({ outcome: decision.outcome, events: decision.events, state: decision.state });
    }
    if (allEvents.length > 0) {
      await this.claimLargeInputs(allEvents, loaded.state!, loaded);
      const stream = processStreamId(processId);
      const decision = decisionHash(allEvents);
      const stored: NewEvent[] = allEvents.map((event, i) => ({ id: `${stream}@${startVersion + i + 1}#${decision}`, type: event.type, data: event.data }));
      await this.options.events.append(stream, stored, startVersion);
    }
    this.cache.delete(processId); // re-insert: the map's order is the LRU order
    this.cache.set(processId, loaded);
    return results;
  }

  private definitionFor(command: ProcessCommand, state: ProcessState | undefined): ProcessDefinition {
    if (command.type === 'StartProcess') return this.options.registry.get(command.definition, command.version);
    if (state === undefined) throw new MillraceError('PROCESS_NOT_FOUND', `no process for command ${command.type}`);
    // Cancelling and retrying by request need no steps: a CLI in another process can do both without loading the definition.
    if (command.type === 'CancelProcess' || command.type === 'RetryTask') return CANCEL_ONLY;
    return this.options.registry.get(state.definition, state.version);
  }

  private async load(processId: string): Promise<Loaded> {
    const cached = this.cache.get(processId);
    if (cached !== undefined) return cached;
    const stored = await this.options.events.read(processStreamId(processId));
    const events = stored.map((e) => ({ type: e.type, data: e.data }) as ProcessEvent);
    const state = foldProcess(events);
    const definition = state === undefined ? undefined : this.options.registry.find(state.definition, state.version);
    const loaded: Loaded = { state, definition, claimed: new Map() };
    if (state !== undefined) await this.loadClaims(loaded, [state.input, ...[...state.tasks.values()].filter((t) => t.status === 'completed').map((t) => t.output)]);
    return loaded;
  }

  private async loadClaims(loaded: Loaded, values: unknown[]): Promise<void> {
    for (const value of values) {
      if (!isClaimTicket(value) || loaded.claimed.has(value.$claim.sha256)) continue;
      loaded.claimed.set(value.$claim.sha256, await checkOut(value, this.options.blobs));
    }
  }

  /** Task inputs (and a process input) too large for an event go to the blob store; the event keeps the ticket. */
  private async claimLargeInputs(events: ProcessEvent[], state: ProcessState, loaded: Loaded): Promise<void> {
    for (const event of events) {
      if (event.type === 'TaskScheduled') {
        const ticket = await checkIn(event.data.input, this.options.blobs, this.options.claimCheckBytes);
        if (ticket !== event.data.input) {
          event.data.input = ticket;
          const task = state.tasks.get(event.data.taskId);
          if (task !== undefined && task.attempt === event.data.attempt) task.input = ticket;
        }
      } else if (event.type === 'ProcessStarted') {
        const ticket = await checkIn(event.data.input, this.options.blobs, this.options.claimCheckBytes);
        if (isClaimTicket(ticket)) {
          loaded.claimed.set(ticket.$claim.sha256, event.data.input);
          event.data.input = ticket;
          state.input = ticket;
        }
      }
    }
  }

  private trimCache(): void {
    const limit = this.options.cacheSize ?? 1000;
    for (const [processId, loaded] of this.cache) {
      if (this.cache.size <= limit) break;
      if (this.inboxes.has(processId)) continue;
      if (loaded.state?.status === 'running' && this.cache.size <= limit * 2) continue;
      this.cache.delete(processId);
    }
  }
}

function resolveClaim(value: unknown, claimed: Map<string, unknown>): unknown {
  if (!isClaimTicket(value)) return value;
  if (!claimed.has(value.$claim.sha256)) throw new MillraceError('BLOB_NOT_FOUND', `claimed output ${value.$claim.key} was not loaded`, { key: value.$claim.key });
  return claimed.get(value.$claim.sha256);
}

/**
 * What makes an event's id (`<stream>@<version>#<hash>`): its place and a
 * hash of the whole batch it was decided in. Retrying an append whose commit
 * was lost sends the same decision, so the same ids, and the store
 * recognises its own write. A second writer that decided anything else at
 * the same place sends other ids for every event of its batch and is
 * rejected by the version check; ids of the place alone would let the store
 * take its batch for a retry of the first and report success for events it
 * never stored. One hash per batch, not per event: a fan-out decides 10,000
 * events at once, and their ids took 16–21 ms with a hash each, 10–12 ms
 * with one (`npm run bench -- dag`, bench/README.md).
 */
function decisionHash(events: readonly ProcessEvent[]): string {
  return stableHash(contentOf(events), 8);
}

/**
 * The events' JSON, for the hash. The store validates and encodes the data
 * again when it appends, so the plain `JSON.stringify` suffices here; only a
 * value it cannot encode takes the validating path, for its clear error.
 */
function contentOf(events: readonly ProcessEvent[]): string {
  try {
    return JSON.stringify(events);
  } catch {
    return encodeJson(events);
  }
}
