/**
 * @module millrace/task
 * What a task module needs, and nothing more: worker threads import task
 * modules, and this entry keeps them from loading the storage engine. A
 * MapReduce job's module is a task module too, hence `defineMapReduce`.
 *
 * @example
 * ```ts
 * import { defineTask } from 'millrace/task'
 * export const resize = defineTask('resize', async (input: { ref: BlobRef }, ctx) => { … })
 * ```
 */
export { defineTask, type TaskContext, type TaskDefinition, type TaskHandler, type TaskOptions } from './workers/task-definition.js';
export { NonRetryableError, type TaskFailure } from './core/failure.js';
export { MillraceError, hasCode } from './core/errors.js';
export type { BlobRef, BlobStore } from './ports/blob-store.js';
export { defineMapReduce, type MapReduceJob } from './mapreduce/define-map-reduce.js';
export type { FinalizeContext, MapContext, MapReduceInput, MapReduceOptions, MapReduceResult, MapReduceStats, RejectSample } from './mapreduce/map-reduce-types.js';
