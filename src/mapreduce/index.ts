/**
 * @module mapreduce
 * MapReduce as a process template: `defineMapReduce` for the job,
 * `uploadFiles` for its inputs, `readPairs` for its outputs. See
 * docs/mapreduce.md.
 */
export { defineMapReduce, DEFAULT_SPLIT_BYTES, type MapReduceJob } from './define-map-reduce.js';
export type {
  FinalizeContext, MapContext, MapReduceInput, MapReduceOptions, MapReduceResult, MapReduceStats, RejectSample,
} from './map-reduce-types.js';
export { readPairs } from './run-format.js';
export { uploadFiles, type UploadOptions } from './upload-files.js';
