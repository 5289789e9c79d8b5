/**
 * @module jobs/orchestrator
 * Runs processes: starts them, feeds task results back to them, times out
 * tasks past their deadline, cancels, and answers what a process is doing.
 *
 * ```
 *  startProcess ─▶ ProcessManager ─▶ EventStore ─▶ EventFeed ─┬▶ ProcessIndex ─▶ TimeoutManager
 *                       ▲                                    └▶ Receptor ─▶ task queue ─▶ workers
 *                       ├──── results queue ◀───────────────────────────────────────────┤
 *                       └──── acceptResult (a worker in this process) ◀─────────────────┘
 * ```
 *
 * One feed serves the index and the receptor: every event is read and
 * decoded once, not once per follower. It starts from the beginning (the
 * index is in memory); the receptor skips what its checkpoint covers.
 */
import type { Clock } from '../core/clock.js';
import { MillraceError, hasCode, messageOf } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { CheckpointStore } from '../ports/checkpoint-store.js';
import type { EventStore, StoredEvent } from '../ports/event-store.js';
import type { Log } from '../ports/log.js';
import type { Consumer, TaskQueue } from '../ports/task-queue.js';
import { checkOut } from '../workers/claim-check.js';
import type { LocalTaskTarget } from '../workers/local-dispatch.js';
import { TASK_RESULT_MESSAGE, parseTaskResult, type TaskResult } from '../workers/task-message.js';
import type { ProcessCommand } from './process-commands.js';
import type { ProcessDefinition } from './process-definition.js';
import { processStreamId, type ProcessEvent } from './process-events.js';
import { ProcessIndex, type ProcessSummary } from './process-index.js';
import { ProcessManager, type CommandResult } from './process-manager.js';
import { ProcessRegistry } from './process-registry.js';
import type { ProcessState, ProcessStatus, TaskStatus } from './process-state.js';
import { viewProcess, viewTasks, type ProcessView, type TaskView } from './process-view.js';
import { EventFeed } from './event-feed.js';
import { Receptor } from './receptor.js';
import { TimeoutManager } from './timeout-manager.js';
import { DeadLetterWatch } from './dead-letter-watch.js';
import { BlobCollector, type BlobCollection } from './blob-collector.js';
import { validateRoutes, type TaskRoute } from './task-routing.js';

export interface OrchestratorOptions {
  events: EventStore;
  queue: TaskQueue;
  log: Log;
  checkpoints: CheckpointStore;
  blobs: BlobStore;
  clock: Clock;
  logger: Logger;
  claimCheckBytes: number;
  /** @defaultValue `'tasks'` */
  taskQueue?: string;
  /** @defaultValue `'millrace.results'` */
  resultQueue?: string;
  /** @defaultValue `'millrace.control'` */
  controlTopic?: string;
  /** Results handled at once. @defaultValue 256 */
  resultConcurrency?: number;
  /** How often task deadlines are checked. @defaultValue 1000 ms */
  timeoutCheckMs?: number;
  /** Shares of task types sent to tagged workers (see jobs/task-routing). @defaultValue none */
  routes?: readonly TaskRoute[];
  /** Orphan-blob collection while started (see jobs/blob-collector); `false` turns it off. @defaultValue 24 h TTL, hourly */
  blobCollection?: { ttlMs?: number; intervalMs?: number } | false;
}

export interface StartProcessOptions {
  /** @defaultValue the latest registered version */
  version?: number;
  /** Your own id (letters, digits, `.`, `_`, `-`): starting the same id twice starts it once. @defaultValue a random id */
  processId?: string;
}

const PROCESS_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

export class Orchestrator {
  readonly registry = new ProcessRegistry();
  readonly index = new ProcessIndex();
  private readonly manager: ProcessManager;
  private readonly receptor: Receptor;
  private readonly feed: EventFeed;
  private readonly timeouts: TimeoutManager;
  private readonly deadLetters: DeadLetterWatch;
  private readonly blobCollector: BlobCollector;
  private results: Consumer | undefined;
  /** Between `start` and `stop`: results handed over in-process are applied. */
  private acceptingResults = false;
  /** How far `refreshIndex` has read, when this orchestrator is only a client. */
  private indexedUpTo = 0;

  constructor(private readonly options: OrchestratorOptions) {
    const logger = options.logger.child({ component: 'orchestrator' });
    this.manager = new ProcessManager({ events: options.events, blobs: options.blobs, registry: this.registry, clock: options.clock, logger, claimCheckBytes: options.claimCheckBytes });
    this.receptor = new Receptor({
      queue: options.queue, log: options.log, checkpoints: options.checkpoints, clock: options.clock, logger,
      taskQueue: this.taskQueue, resultQueue: this.resultQueue, controlTopic: this.controlTopic,
      routes: validateRoutes(options.routes ?? []),
    });
    this.feed = new EventFeed({
      events: options.events, clock: options.clock, logger, name: 'orchestrator',
      handle: (page) => {
        this.index.apply(page);
        this.manager.noteStored(page);
        return this.receptor.handle(page);
      },
    });
    this.timeouts = new TimeoutManager({ index: this.index, manager: this.manager, clock: options.clock, logger, intervalMs: options.timeoutCheckMs });
    this.deadLetters = new DeadLetterWatch({
      queue: options.queue, queues: () => this.receptor.taskQueues(), clock: options.clock, logger, intervalMs: options.timeoutCheckMs,
      manager: { execute: (processId, command) => this.execute(processId, command) },
    });
    const collection = options.blobCollection === false ? {} : options.blobCollection ?? {};
    this.blobCollector = new BlobCollector({
      events: options.events, blobs: options.blobs, clock: options.clock, logger, ...collection,
      // A dead letter can be requeued long after it died: the payload it claims must outlive the TTL too.
      moreReferences: async () => {
        const letters = await Promise.all([...this.receptor.taskQueues(), this.resultQueue].map((queue) => options.queue.deadLetters(queue, { limit: 1_000_000 })));
        return letters.flat().map((letter) => letter.payload);
      },
    });
  }

  get taskQueue(): string {
    return this.options.taskQueue ?? 'tasks';
  }
  get resultQueue(): string {
    return this.options.resultQueue ?? 'millrace.results';
  }
  get controlTopic(): string {
    return this.options.controlTopic ?? 'millrace.control';
  }

  /** Changes the tagged routes live; tasks published from now on follow them. @throws `CONFIG_INVALID` */
  setRoutes(routes: readonly TaskRoute[]): void {
    this.receptor.setRoutes(validateRoutes(routes));
  }

  /** Makes a definition startable (every version you still run must stay registered). */
  register(definition: ProcessDefinition): this {
    this.registry.register(definition);
    return this;
  }

  /** Catches up with the history (the index, and task messages not yet published) and starts taking results. */
  async start(): Promise<void> {
    await this.receptor.resumePosition();
    await this.feed.start(0);
    this.timeouts.start();
    this.deadLetters.start();
    if (this.options.blobCollection !== false) this.blobCollector.start();
    this.results = this.options.queue.consume(this.resultQueue, async (delivery) => {
      let result: TaskResult;
      try {
        if (delivery.name !== TASK_RESULT_MESSAGE) throw new MillraceError('QUEUE_MESSAGE_INVALID', `unexpected message "${delivery.name}" on ${this.resultQueue}`);
        result = parseTaskResult(delivery.payload);
      } catch (error) {
        // A malformed result does not improve with redelivery: dead-letter it at once, with the reason.
        this.options.logger.error({ queue: this.resultQueue, messageId: delivery.id, error: messageOf(error) }, 'invalid result message; dead-lettered');
        await delivery.nack({ requeue: false, reason: messageOf(error) });
        return;
      }
      await this.applyResult(result);
    }, { concurrency: this.options.resultConcurrency ?? 256 });
    this.acceptingResults = true;
  }

  async stop(): Promise<void> {
    this.acceptingResults = false;
    await this.results?.stop({ drain: true });
    this.results = undefined;
    await this.timeouts.stop();
    await this.deadLetters.stop();
    await this.blobCollector.stop();
    await this.feed.stop();
    await this.receptor.flush();
  }

  /**
   * Applies a task result handed over by a worker in this process (the
   * embedded engine), instead of through the result queue. Resolves `true`
   * once the result is stored in its process's history, so the worker may
   * then ack the task: a crash before that redelivers the task, whose new
   * result the process applies or drops as a duplicate, as it would a
   * queued one. Resolves `false`, leaving the caller to publish the result,
   * when `queue` is not this orchestrator's result queue or it is not
   * running. Rejects as `execute` does (the caller publishes then too, and
   * the queue's redelivery retries it).
   *
   * The queue round trip this skips (publish, lease, ack: three durable
   * writes and two JSON passes per result) was a fifth of the main
   * thread's time in a 10,000-task fan-out (`npm run bench -- dag`).
   */
  async acceptResult(queue: string, result: TaskResult): Promise<boolean> {
    if (!this.acceptingResults || queue !== this.resultQueue) return false;
    await this.applyResult(result);
    return true;
  }

  /**
   * Offers task messages for the task queue to a worker in this process
   * before publishing them (see workers/local-dispatch), until the returned
   * function detaches it.
   */
  attachLocalWorker(target: LocalTaskTarget): () => void {
    return this.receptor.attachLocal(target);
  }

  /**
   * Starts a process and returns its id.
   * @throws `PROCESS_DEFINITION_UNKNOWN`, `PROCESS_ID_INVALID`
   */
  async startProcess(name: string, input: unknown, options: StartProcessOptions = {}): Promise<string> {
    const definition = this.registry.get(name, options.version);
    const processId = options.processId ?? newId();
    if (!PROCESS_ID_PATTERN.test(processId)) throw new MillraceError('PROCESS_ID_INVALID', `process id "${processId}" must match ${PROCESS_ID_PATTERN}`, { processId });
    await this.execute(processId, { type: 'StartProcess', processId, definition: definition.name, version: definition.version, input, now: this.options.clock.now() });
    return processId;
  }

  /** Cancels a running process: nothing more is scheduled, running tasks get their abort signal. */
  async cancel(processId: string, reason = 'cancelled by request'): Promise<boolean> {
    await this.mustExist(processId);
    const result = await this.execute(processId, { type: 'CancelProcess', reason, now: this.options.clock.now() });
    return result.outcome === 'applied';
  }

  /**
   * Runs again the task that failed a process (after fixing its handler,
   * say): the process runs again and the task, with any sibling that was
   * still running, gets a new attempt. Resolves with the task's new attempt.
   * @throws `PROCESS_NOT_FOUND`, `TASK_NOT_FOUND`, `TASK_NOT_RETRYABLE` (saying why)
   */
  async retryTask(processId: string, taskId: string): Promise<{ attempt: number }> {
    const state = await this.freshState(processId);
    const task = state.tasks.get(taskId);
    if (task === undefined) throw new MillraceError('TASK_NOT_FOUND', `process ${processId} has no task ${taskId}`, { processId, taskId });
    const attempt = task.attempt + 1; // read first: deciding updates the cached state in place
    const result = await this.execute(processId, { type: 'RetryTask', taskId, now: this.options.clock.now() });
    if (result.outcome === 'applied') return { attempt };
    const why = state.status !== 'failed' ? `the process is ${state.status}` : state.failure?.taskId === undefined ? 'the process failed in its own code, not in a task' : `the process failed because of task ${state.failure.taskId}`;
    throw new MillraceError('TASK_NOT_RETRYABLE', `cannot retry task ${taskId}: ${why}; only the task that failed a process can be retried`, { processId, taskId });
  }

  /** A process's tasks, filtered by step and status. @throws `PROCESS_NOT_FOUND` */
  async tasks(processId: string, filter: { step?: string; status?: TaskStatus } = {}): Promise<TaskView[]> {
    return viewTasks(await this.freshState(processId), filter);
  }

  /** The process with its steps. @throws `PROCESS_NOT_FOUND` */
  async get(processId: string): Promise<ProcessView> {
    const state = await this.freshState(processId);
    const view = viewProcess(state, this.registry.find(state.definition, state.version));
    if (view.output !== undefined) view.output = await checkOut(view.output, this.options.blobs);
    return view;
  }

  private async freshState(processId: string): Promise<ProcessState> {
    // A client's cache holds only what it wrote itself; the process moves on elsewhere.
    if (!this.acceptingResults) this.manager.evict(processId);
    const state = await this.manager.state(processId);
    if (state === undefined) throw processNotFound(processId);
    return state;
  }

  /** The stored events of a process, oldest first. */
  async history(processId: string): Promise<StoredEvent[]> {
    const events = await this.options.events.read(processStreamId(processId));
    if (events.length === 0) throw processNotFound(processId);
    return events;
  }

  list(filter: { status?: ProcessStatus; definition?: string; limit?: number } = {}): ProcessSummary[] {
    return this.index.list(filter);
  }

  /**
   * Brings the index up to date without acting on anything: for a client
   * that looks at processes (`millrace status`) while a server elsewhere
   * runs them. A started orchestrator's index is kept current by its feed.
   */
  async refreshIndex(): Promise<void> {
    if (this.acceptingResults) return this.feed.catchUp();
    for (;;) {
      const page = await this.options.events.readAll({ afterPosition: this.indexedUpTo, limit: 1000 });
      if (page.length === 0) return;
      this.index.apply(page);
      this.indexedUpTo = page[page.length - 1]!.position;
    }
  }

  /**
   * Resolves with the process once it has completed, failed or been
   * cancelled. An orchestrator that is not started (a client of a server
   * that runs the process) looks every `pollMs`.
   */
  async wait(processId: string, options: { signal?: AbortSignal; pollMs?: number } = {}): Promise<ProcessView> {
    await this.mustExist(processId);
    if (!this.acceptingResults) return this.pollUntilFinished(processId, options.signal, options.pollMs ?? 500);
    // The index follows the store and may lag the process's own state (a
    // retried process is running again before the index reads it resumed,
    // and an old failure may reach the index after the retry): it only
    // says when to look; the process's state decides.
    const finished = async (): Promise<boolean> => (await this.manager.state(processId))?.status !== 'running';
    await new Promise<void>((resolve, reject) => {
      const onFinished = (summary: ProcessSummary): void => {
        if (summary.processId !== processId) return;
        void finished().then((done) => {
          if (!done) return;
          cleanup();
          resolve();
        }, (error: unknown) => {
          cleanup();
          reject(error);
        });
      };
      const onAbort = (): void => {
        cleanup();
        reject(new MillraceError('TASK_ABORTED', `stopped waiting for process ${processId}`, { processId }));
      };
      const cleanup = (): void => {
        this.index.events.off('finished', onFinished);
        options.signal?.removeEventListener('abort', onAbort);
      };
      this.index.events.on('finished', onFinished);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      onFinished({ processId } as ProcessSummary);
    });
    return this.get(processId);
  }

  private async pollUntilFinished(processId: string, signal: AbortSignal | undefined, pollMs: number): Promise<ProcessView> {
    for (;;) {
      const view = await this.get(processId);
      if (view.status !== 'running') return view;
      if (signal?.aborted) throw new MillraceError('TASK_ABORTED', `stopped waiting for process ${processId}`, { processId });
      await new Promise<void>((resolve) => {
        const timer = this.options.clock.setTimer(resolve, pollMs);
        signal?.addEventListener('abort', () => {
          timer.cancel();
          resolve();
        }, { once: true });
      });
    }
  }

  /** Forces a dead-letter check now (tests; the timer does it every `timeoutCheckMs`): returns the tasks failed. */
  checkDeadLetters(): Promise<number> {
    return this.deadLetters.check();
  }

  /**
   * One round of orphan-blob collection now (`millrace blobs gc`; the
   * orchestrator also runs one every hour while started). Works without
   * `start`: it reads the history, not the in-memory index.
   */
  collectBlobs(options: { ttlMs?: number; dryRun?: boolean } = {}): Promise<BlobCollection> {
    return this.blobCollector.collect(options);
  }

  /** Forces a deadline check now (tests; the timer does it every `timeoutCheckMs`). */
  checkDeadlines(): Promise<number> {
    return this.timeouts.check();
  }

  private async applyResult(result: TaskResult): Promise<void> {
    const processId = result.taskId.split('/')[0]!;
    const now = this.options.clock.now();
    const command: ProcessCommand = result.ok
      ? { type: 'CompleteTask', taskId: result.taskId, attempt: result.attempt, output: result.output, durationMs: result.durationMs, tag: result.tag, now }
      : { type: 'FailTask', taskId: result.taskId, attempt: result.attempt, failure: result.failure!, tag: result.tag, now };
    await this.execute(processId, command);
  }

  private async execute(processId: string, command: ProcessCommand): Promise<CommandResult> {
    try {
      const result = await this.manager.execute(processId, command);
      if (result.events.some(needsPromptReading)) this.feed.ring();
      if (result.outcome === 'superseded') this.options.logger.info({ processId, command: command.type, taskId: (command as { taskId?: string }).taskId }, 'rejected a result from a superseded attempt');
      return result;
    } catch (error) {
      if (!hasCode(error, 'PROCESS_DEFINITION_UNKNOWN')) throw error;
      this.options.logger.error({ processId, error: messageOf(error) }, 'cannot apply a command: the process definition is not registered');
      throw error;
    }
  }

  private async mustExist(processId: string): Promise<void> {
    if (this.index.get(processId) !== undefined) return;
    await this.feed.catchUp();
    if (this.index.get(processId) === undefined && (await this.manager.state(processId)) === undefined) throw processNotFound(processId);
  }
}

/**
 * Whether the feed should read an event as soon as it is stored. The index
 * and the receptor act on every event but a task's completion, from which
 * the index only drops the task's deadline (and a deadline check that finds
 * the task completed is ignored). So completions alone do not wake the feed:
 * they are read with the next event that does, or at its next poll, in full
 * pages. Waking it for each append of a fan-out's completions cost a read
 * and a decode per append, about a tenth of the main thread's time.
 */
function needsPromptReading(event: ProcessEvent): boolean {
  return event.type !== 'TaskCompleted';
}

/** What asking for a process that does not exist throws. */
export function processNotFound(processId: string): MillraceError {
  return new MillraceError('PROCESS_NOT_FOUND', `no process with id ${processId}`, { processId });
}
