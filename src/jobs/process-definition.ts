/**
 * @module jobs/process-definition
 * `defineProcess`: a versioned DAG of steps. A step runs one task, or a
 * *batch* of tasks, one per item an earlier step produced (fan-out); a step
 * starts once every step it comes `after` has finished (fan-in), so a step
 * may have several parents.
 *
 * The functions a step carries (`items`, `input`, `when`) run in the
 * orchestrator when the step starts; they must be deterministic functions of
 * their context (no clock, no I/O, no randomness), because what they return
 * is recorded in the history and a replay must reach the same decisions.
 */
import { MillraceError } from '../core/errors.js';
import { DEFAULT_TASK_TIMEOUT_MS } from '../workers/task-definition.js';
import { resolveRetryPolicy, type RetryPolicy } from '../workers/retry-policy.js';

const PROCESS_BRAND = Symbol.for('millrace.process');

/** What a step's functions see. */
export interface StepContext<I = unknown> {
  processId: string;
  /** The process input. */
  input: I;
  /** Outputs of finished steps by name: a task step's output, a batch step's outputs in item order; `undefined` when skipped. */
  outputs: Readonly<Record<string, unknown>>;
}

/** Options shared by task and batch steps. */
export interface StepOptionsBase<I> {
  /** Task name (as given to `defineTask`). */
  task: string;
  /** Steps that must finish first (handles or names). @defaultValue none: the step starts with the process */
  after?: ReadonlyArray<StepHandle | string>;
  /** Runs the step only when true; otherwise it is skipped and its output is `undefined`. @defaultValue always */
  when?: (context: StepContext<I>) => boolean;
  /** @defaultValue the task's defaults: 3 attempts, 500 ms doubling, full jitter */
  retry?: Partial<RetryPolicy>;
  /** Execution timeout of each task, enforced by the worker. @defaultValue 300 000 ms */
  timeoutMs?: number;
  /**
   * Schedule-to-close deadline enforced by the orchestrator: a task with no
   * result this long after it was scheduled is timed out and retried, which
   * covers a result lost with a dead worker. @defaultValue none
   */
  deadlineMs?: number;
}

export interface TaskStepOptions<I> extends StepOptionsBase<I> {
  /** The task's input. @defaultValue the process input */
  input?: (context: StepContext<I>) => unknown;
}

export interface BatchStepOptions<I, T = unknown> extends StepOptionsBase<I> {
  /** The items to fan out over: one task each. */
  items: (context: StepContext<I>) => readonly T[];
  /** Input of the task for one item. @defaultValue the item */
  input?: (item: T, index: number, context: StepContext<I>) => unknown;
}

/** A step as the engine sees it. */
export interface StepDefinition {
  name: string;
  kind: 'task' | 'batch';
  task: string;
  after: string[];
  when?: ((context: StepContext) => boolean) | undefined;
  items?: ((context: StepContext) => readonly unknown[]) | undefined;
  input?: ((...args: never[]) => unknown) | undefined;
  retry: RetryPolicy;
  timeoutMs: number;
  deadlineMs?: number | undefined;
}

/** A reference to a step, returned by `task` and `batch`. */
export interface StepHandle {
  readonly step: string;
}

/** Declares the steps of a process. */
export interface ProcessBuilder<I> {
  task(name: string, options: TaskStepOptions<I>): StepHandle;
  batch<T>(name: string, options: BatchStepOptions<I, T>): StepHandle;
  /** The process result. @defaultValue the outputs of the steps nothing comes after */
  output(build: (context: StepContext<I>) => unknown): void;
}

/** A versioned process definition. */
export interface ProcessDefinition<I = unknown> {
  readonly [PROCESS_BRAND]: true;
  readonly name: string;
  readonly version: number;
  /** Steps in a topological order (parents first). */
  readonly steps: readonly StepDefinition[];
  readonly output?: ((context: StepContext) => unknown) | undefined;
  step(name: string): StepDefinition | undefined;
  /** Type of the process input, for `runProcess` and `startProcess` (never set at run time). */
  readonly inputType?: I;
}

/** Step and process names: letters, digits, `.`, `_`, `-`; 1–100 characters. */
export const STEP_NAME_PATTERN = /^[A-Za-z0-9._-]{1,100}$/;

/**
 * Defines a process.
 *
 * @example
 * ```ts
 * export const thumbnails = defineProcess('thumbnails', 1, (p) => {
 *   const list = p.task('list', { task: 'list-images' })
 *   const resize = p.batch('resize', { task: 'resize', after: [list], items: ({ outputs }) => outputs.list as string[] })
 *   p.task('index', { task: 'build-index', after: [list, resize], input: ({ outputs }) => ({ thumbs: outputs.resize }) })
 * })
 * ```
 * @throws `CONFIG_INVALID` naming the step: duplicate name, unknown `after`, a cycle, bad options
 */
export function defineProcess<I = unknown>(name: string, version: number, build: (builder: ProcessBuilder<I>) => void): ProcessDefinition<I> {
  if (!STEP_NAME_PATTERN.test(name)) invalid(`process name "${name}" must match ${STEP_NAME_PATTERN}`);
  if (!Number.isInteger(version) || version < 1) invalid(`process "${name}": version must be an integer ≥ 1, got ${version}`);
  const declared: StepDefinition[] = [];
  let output: ((context: StepContext<I>) => unknown) | undefined;
  const add = (step: StepDefinition): StepHandle => {
    if (declared.some((s) => s.name === step.name)) invalid(`process "${name}": two steps named "${step.name}"`);
    declared.push(step);
    return Object.freeze({ step: step.name });
  };
  build({
    task: (stepName, options) => add(stepFrom(name, stepName, 'task', options)),
    batch: (stepName, options) => {
      if (typeof options.items !== 'function') invalid(`process "${name}", step "${stepName}": a batch needs an items function`);
      return add(stepFrom(name, stepName, 'batch', options as BatchStepOptions<I>));
    },
    output: (fn) => {
      output = fn;
    },
  });
  if (declared.length === 0) invalid(`process "${name}" has no steps`);
  const steps = topologicalOrder(name, declared);
  const byName = new Map(steps.map((s) => [s.name, s]));
  return Object.freeze({ [PROCESS_BRAND]: true as const, name, version, steps, output: output as ((context: StepContext) => unknown) | undefined, step: (stepName: string) => byName.get(stepName) });
}

/** True for values made by `defineProcess` (from any copy of the library). */
export function isProcessDefinition(value: unknown): value is ProcessDefinition {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[PROCESS_BRAND] === true;
}

function stepFrom<I>(processName: string, stepName: string, kind: 'task' | 'batch', options: TaskStepOptions<I> | BatchStepOptions<I>): StepDefinition {
  const where = `process "${processName}", step "${stepName}"`;
  if (!STEP_NAME_PATTERN.test(stepName)) invalid(`${where}: step name must match ${STEP_NAME_PATTERN}`);
  if (typeof options.task !== 'string' || options.task.length === 0) invalid(`${where}: task must be a task name`);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TASK_TIMEOUT_MS;
  if (!(timeoutMs > 0)) invalid(`${where}: timeoutMs must be positive`);
  if (options.deadlineMs !== undefined && !(options.deadlineMs > 0)) invalid(`${where}: deadlineMs must be positive`);
  const after = (options.after ?? []).map((ref) => (typeof ref === 'string' ? ref : ref.step));
  return {
    name: stepName,
    kind,
    task: options.task,
    after: [...new Set(after)],
    when: options.when as StepDefinition['when'],
    items: kind === 'batch' ? ((options as BatchStepOptions<I>).items as StepDefinition['items']) : undefined,
    input: options.input as StepDefinition['input'],
    retry: resolveRetryPolicy(options.retry, `${where} retry`),
    timeoutMs,
    deadlineMs: options.deadlineMs,
  };
}

/** Kahn's algorithm; also where unknown parents and cycles are reported. */
function topologicalOrder(processName: string, steps: readonly StepDefinition[]): StepDefinition[] {
  const names = new Set(steps.map((s) => s.name));
  for (const step of steps) {
    for (const parent of step.after) {
      if (!names.has(parent)) invalid(`process "${processName}", step "${step.name}": after refers to unknown step "${parent}"`);
      if (parent === step.name) invalid(`process "${processName}", step "${step.name}": a step cannot come after itself`);
    }
  }
  const remaining = new Map(steps.map((s) => [s.name, new Set(s.after)]));
  const ordered: StepDefinition[] = [];
  while (remaining.size > 0) {
    const ready = steps.filter((s) => remaining.get(s.name)?.size === 0);
    if (ready.length === 0) {
      const cycle = [...remaining.keys()].sort().join(', ');
      invalid(`process "${processName}": steps ${cycle} form a cycle`);
    }
    for (const step of ready) {
      ordered.push(step);
      remaining.delete(step.name);
      for (const parents of remaining.values()) parents.delete(step.name);
    }
  }
  return ordered;
}

function invalid(message: string): never {
  throw new MillraceError('CONFIG_INVALID', message);
}
