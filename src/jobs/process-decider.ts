/**
 * @module jobs/process-decider
 * The process aggregate's decisions: given the state (a fold of the
 * history), a command and the definition, which events happen. Pure and
 * deterministic — time comes in the command, backoff jitter is derived from
 * the task id and attempt — so the same history and command always give the
 * same events, and specifications can test it without I/O.
 *
 * Events are applied to the state as they are decided (a completion may
 * finish a step, which starts the next ones, which may be skipped or empty,
 * which may finish the process), so callers must treat the state as spent if
 * the events are not stored.
 */
import { MillraceError, messageOf } from '../core/errors.js';
import { hashKey, taskId as makeTaskId } from '../core/ids.js';
import type { TaskFailure } from '../core/failure.js';
import { retryDelayMs, shouldRetry } from '../workers/retry-policy.js';
import type { CommandOutcome, ProcessCommand } from './process-commands.js';
import type { ProcessDefinition, StepContext, StepDefinition } from './process-definition.js';
import type { ProcessEvent } from './process-events.js';
import { evolve, type ProcessState, type TaskState } from './process-state.js';

export interface Decision {
  outcome: CommandOutcome;
  events: ProcessEvent[];
  /** State after the events (the same object as given, when there was one). */
  state: ProcessState | undefined;
}

export interface DecideOptions {
  /** Turns a stored input or output (possibly a claim ticket) into its value; must be synchronous (pre-loaded). @defaultValue identity */
  resolveOutput?: (stored: unknown) => unknown;
}

/** Decides a command. Never throws for user-code errors: a throwing `items`/`input`/`when` fails the process. */
export function decide(state: ProcessState | undefined, command: ProcessCommand, definition: ProcessDefinition, options: DecideOptions = {}): Decision {
  const decider = new Decider(state, definition, options.resolveOutput ?? ((v) => v));
  const outcome = decider.handle(command);
  return { outcome, events: decider.events, state: decider.state };
}

class Decider {
  readonly events: ProcessEvent[] = [];

  constructor(
    public state: ProcessState | undefined,
    private readonly definition: ProcessDefinition,
    private readonly resolveOutput: (stored: unknown) => unknown,
  ) {}

  handle(command: ProcessCommand): CommandOutcome {
    if (command.type === 'StartProcess') return this.start(command.processId, command.input, command.now);
    const state = this.state;
    if (state === undefined) return 'ignored';
    if (command.type === 'CancelProcess') {
      if (state.status !== 'running') return 'ignored';
      this.emit({ type: 'ProcessCancelled', data: { reason: command.reason, cancelledAt: command.now } });
      return 'applied';
    }
    if (command.type === 'RetryTask') return this.retryByRequest(command.taskId, command.now);
    const task = state.tasks.get(command.taskId);
    if (task === undefined) return 'ignored';
    if (task.status === 'completed') return command.type === 'CompleteTask' && command.attempt === task.attempt ? 'duplicate' : 'superseded';
    if (command.attempt !== task.attempt) return command.attempt < task.attempt ? 'superseded' : 'ignored';
    if (state.status !== 'running' || task.status !== 'running') return 'ignored';

    switch (command.type) {
      case 'CompleteTask':
        this.emit({ type: 'TaskCompleted', data: { taskId: task.taskId, attempt: task.attempt, output: command.output, durationMs: command.durationMs, ...tagOf(command), completedAt: command.now } });
        if (state.steps.get(task.step)?.status === 'completed') this.advance(command.now);
        return 'applied';
      case 'FailTask':
        if (command.failure.type === 'TASK_TIMEOUT') {
          this.emit({ type: 'TaskTimedOut', data: { taskId: task.taskId, attempt: task.attempt, by: 'worker', ...tagOf(command), timedOutAt: command.now } });
        } else {
          this.emit({ type: 'TaskFailed', data: { taskId: task.taskId, attempt: task.attempt, failure: command.failure, ...tagOf(command), failedAt: command.now } });
        }
        this.retryOrFail(task, command.failure, command.now);
        return 'applied';
      case 'TryTimeoutTask':
        if (task.deadlineAt === undefined || command.now < task.deadlineAt) return 'ignored';
        this.emit({ type: 'TaskTimedOut', data: { taskId: task.taskId, attempt: task.attempt, by: 'deadline', timedOutAt: command.now } });
        this.retryOrFail(task, { type: 'TASK_TIMEOUT', message: `no result within the step's deadline`, retryable: true }, command.now);
        return 'applied';
    }
  }

  private start(processId: string, input: unknown, now: number): CommandOutcome {
    if (this.state !== undefined) return 'duplicate';
    this.emit({ type: 'ProcessStarted', data: { processId, definition: this.definition.name, version: this.definition.version, input, startedAt: now } });
    this.advance(now);
    return 'applied';
  }

  private retryOrFail(task: TaskState, failure: TaskFailure, now: number): void {
    const step = this.stepDefinition(task.step);
    if (!shouldRetry(step.retry, failure, task.attempt)) {
      const why = failure.retryable ? `failed after ${task.attempt} attempt${task.attempt === 1 ? '' : 's'}` : 'failed with a non-retryable error';
      this.emit({ type: 'ProcessFailed', data: { reason: `step "${task.step}" task ${task.index} ${why}: ${failure.message}`, step: task.step, taskId: task.taskId, failure, failedAt: now } });
      return;
    }
    const attempt = task.attempt + 1;
    // Jitter from a hash, not Math.random: a replay must make the same decision.
    const delayMs = retryDelayMs(step.retry, task.attempt, () => hashKey(`${task.taskId}#${attempt}`) / 2 ** 32);
    this.emit({ type: 'TaskRetried', data: { taskId: task.taskId, attempt, delayMs, retriedAt: now } });
    this.schedule(step, task.index, attempt, task.input, now, now + delayMs);
  }

  /**
   * A retry someone asked for. Only the task that failed the process
   * qualifies: any other failure was either retried already or failed
   * nothing. The process resumes, and every task not completed gets a new
   * attempt — the failed one, and its siblings that were still running
   * when the process failed, whose results were dropped then (a failed
   * process takes none) and will never come back. New attempt numbers keep
   * the fencing: a late result of an older attempt is superseded. The
   * retry policy then counts on from the new attempt, so each request buys
   * one more attempt, not a fresh set. Nothing here reads the definition,
   * as for a cancel, so any client of the event store may retry.
   */
  private retryByRequest(taskId: string, now: number): CommandOutcome {
    const state = this.state!;
    const failed = state.tasks.get(taskId);
    if (state.status !== 'failed' || state.failure?.taskId !== taskId || failed?.status !== 'failed') return 'ignored';
    this.emit({ type: 'ProcessResumed', data: { taskId, resumedAt: now } });
    for (const task of [...state.tasks.values()]) {
      if (task.status === 'completed') continue;
      const attempt = task.attempt + 1;
      this.emit({ type: 'TaskRetried', data: { taskId: task.taskId, attempt, delayMs: 0, retriedAt: now, requested: true } });
      // From the task's own record, not the definition: a client without the definition (`millrace retry`) can decide this.
      const deadline = task.deadlineAt === undefined ? {} : { deadlineAt: now + (task.deadlineAt - task.notBefore) };
      this.emit({
        type: 'TaskScheduled',
        data: { taskId: task.taskId, step: task.step, index: task.index, attempt, task: task.task, input: task.input, timeoutMs: task.timeoutMs, notBefore: now, ...deadline, scheduledAt: now },
      });
    }
    return 'applied';
  }

  /** Starts every step whose parents have all finished; completes the process when every step has. */
  private advance(now: number): void {
    const state = this.state!;
    for (const step of this.definition.steps) {
      if (state.status !== 'running') return;
      if (state.steps.has(step.name)) continue;
      if (!step.after.every((parent) => isFinished(state.steps.get(parent)?.status))) continue;
      this.startStep(step, now);
    }
    if (state.status === 'running' && this.definition.steps.every((s) => isFinished(state.steps.get(s.name)?.status))) {
      const output = this.userCode('output', () => (this.definition.output ? this.definition.output(this.context()) : this.defaultOutput()), now);
      if (output.ok) this.emit({ type: 'ProcessCompleted', data: { output: output.value, completedAt: now } });
    }
  }

  private startStep(step: StepDefinition, now: number): void {
    const context = this.context();
    if (step.when !== undefined) {
      const run = this.userCode(`step "${step.name}" when`, () => step.when!(context), now);
      if (!run.ok) return;
      if (!run.value) {
        this.emit({ type: 'StepSkipped', data: { step: step.name, reason: 'condition was false', skippedAt: now } });
        return;
      }
    }
    if (step.kind === 'task') {
      const input = this.userCode(`step "${step.name}" input`, () => (step.input ? (step.input as (c: StepContext) => unknown)(context) : context.input), now);
      if (!input.ok) return;
      this.emit({ type: 'StepStarted', data: { step: step.name, tasks: 1, startedAt: now } });
      this.schedule(step, 0, 1, input.value, now, now);
      return;
    }
    const items = this.userCode(`step "${step.name}" items`, () => {
      const value = step.items!(context);
      if (!Array.isArray(value)) throw new MillraceError('CONFIG_INVALID', `items must return an array, got ${typeof value}`);
      return value;
    }, now);
    if (!items.ok) return;
    const inputs = this.userCode(`step "${step.name}" input`, () => items.value.map((item, index) => (step.input ? (step.input as (i: unknown, n: number, c: StepContext) => unknown)(item, index, context) : item)), now);
    if (!inputs.ok) return;
    this.emit({ type: 'StepStarted', data: { step: step.name, tasks: inputs.value.length, startedAt: now } });
    inputs.value.forEach((input, index) => this.schedule(step, index, 1, input, now, now));
  }

  private schedule(step: StepDefinition, index: number, attempt: number, input: unknown, now: number, notBefore: number): void {
    const state = this.state!;
    this.emit({
      type: 'TaskScheduled',
      data: {
        taskId: makeTaskId(state.processId, step.name, index), step: step.name, index, attempt, task: step.task, input,
        timeoutMs: step.timeoutMs, notBefore, ...(step.deadlineMs !== undefined ? { deadlineAt: notBefore + step.deadlineMs } : {}), scheduledAt: now,
      },
    });
  }

  /** Runs user code; a throw fails the process with the error, naming where. */
  private userCode<T>(where: string, run: () => T, now: number): { ok: true; value: T } | { ok: false } {
    try {
      return { ok: true, value: run() };
    } catch (error) {
      this.emit({ type: 'ProcessFailed', data: { reason: `${where} threw: ${messageOf(error)}`, failedAt: now } });
      return { ok: false };
    }
  }

  /**
   * Outputs are built when first read: a batch step's output is an array
   * over all its tasks, and a step function usually reads one or two steps
   * (the default process output reads only the last). Building every
   * finished step's output for each context made each step start
   * O(all tasks so far). Completed outputs never change, so reading late
   * gives the same value.
   */
  private context(): StepContext {
    const state = this.state!;
    const outputs: Record<string, unknown> = {};
    for (const [name, step] of state.steps) {
      if (step.status !== 'completed') continue;
      const definition = this.stepDefinition(name); // a history that names an unknown step fails here, not inside user code
      let built: { value: unknown } | undefined;
      Object.defineProperty(outputs, name, { enumerable: true, get: () => (built ??= { value: this.stepOutput(definition) }).value });
    }
    return { processId: state.processId, input: this.resolveOutput(state.input), outputs };
  }

  private stepOutput(step: StepDefinition): unknown {
    const state = this.state!;
    const outputs: unknown[] = [];
    const count = state.steps.get(step.name)!.tasks;
    for (let index = 0; index < count; index++) outputs.push(this.resolveOutput(state.tasks.get(makeTaskId(state.processId, step.name, index))?.output));
    return step.kind === 'task' ? outputs[0] : outputs;
  }

  /** Outputs of the steps nothing comes after: the single one's, or all of them by name. */
  private defaultOutput(): unknown {
    const parents = new Set(this.definition.steps.flatMap((s) => s.after));
    const sinks = this.definition.steps.filter((s) => !parents.has(s.name));
    const outputs = this.context().outputs;
    if (sinks.length === 1) return outputs[sinks[0]!.name];
    return Object.fromEntries(sinks.map((s) => [s.name, outputs[s.name]]));
  }

  private stepDefinition(name: string): StepDefinition {
    const step = this.definition.step(name);
    if (step === undefined) {
      throw new MillraceError('STORAGE_CORRUPT', `process ${this.state?.processId}: history names step "${name}", which ${this.definition.name} v${this.definition.version} does not have`);
    }
    return step;
  }

  private emit(event: ProcessEvent): void {
    this.events.push(event);
    this.state = evolve(this.state, event);
  }
}

/** Recorded only when there is one, so histories of untagged workers read exactly as before tags existed. */
function tagOf(command: { tag?: string }): { tag?: string } {
  return command.tag === undefined ? {} : { tag: command.tag };
}

function isFinished(status: string | undefined): boolean {
  return status === 'completed' || status === 'skipped';
}
