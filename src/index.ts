/**
 * @module millrace
 * The public API: everything an application imports.
 *
 * @example
 * ```ts
 * import { createMillrace, defineTask } from 'millrace'
 * ```
 */
export { MillraceError, hasCode, type ErrorCode, type SerializedError } from './core/errors.js';
export { NonRetryableError, toFailure, type TaskFailure } from './core/failure.js';
export { decodeJson, encodeJson, type JsonLimits } from './core/json-codec.js';
export { SystemClock, ManualClock, type Clock, type Timer } from './core/clock.js';
export { createLogger, silentLogger, type Logger, type LoggerOptions } from './core/logger.js';
export { newId, taskId } from './core/ids.js';
export type * from './ports/index.js';
export { defineTask, type TaskContext, type TaskDefinition, type TaskHandler, type TaskOptions } from './workers/task-definition.js';
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from './workers/retry-policy.js';
export type { TaskPayload, TaskResult } from './workers/task-message.js';
export type { TaskBatchReport } from './workers/task-batch.js';
export { createMillrace, type Millrace, type CreateMillraceOptions, type StartWorkerOptions, type RunningWorker } from './runtime/millrace.js';
export type { LocalDispatchOptions } from './workers/local-dispatch.js';
export type { MillraceConfig } from './runtime/config.js';
export { defineConfig, type MillraceFileConfig } from './runtime/config-file.js';
export { defineProcess, type ProcessDefinition, type ProcessBuilder, type StepContext, type StepHandle, type TaskStepOptions, type BatchStepOptions } from './jobs/process-definition.js';
export type { ProcessView, StepView } from './jobs/process-view.js';
export type { Orchestrator, StartProcessOptions } from './jobs/orchestrator.js';
export { defineSchedule, type ScheduleDefinition, type DefineScheduleOptions, type CatchUpPolicy } from './jobs/schedule.js';
export type { TaskRoute } from './jobs/task-routing.js';
export type { BackendUrls, Backends } from './runtime/backends.js';
export { defineMapReduce, readPairs, uploadFiles, type MapReduceJob, type UploadOptions } from './mapreduce/index.js';
export type { FinalizeContext, MapContext, MapReduceInput, MapReduceOptions, MapReduceResult, MapReduceStats, RejectSample } from './mapreduce/index.js';
export * from './streams/index.js';
