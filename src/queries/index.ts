/**
 * @module queries
 * Real-time scatter-gather over tiled datasets (docs/queries.md): the
 * dataset format and catalog, the query service, its runners and workers,
 * and the HTTP routes.
 *
 * @example
 * ```ts
 * const queue = new MemoryTaskQueue()
 * serveStrips({ queue, blobs })
 * const service = new QueryService({ blobs, runner: createQueueStripRunner({ queue }) })
 * await registerDatasetRoutes(app, service)
 * ```
 */
export { QueryService, type QueryServiceOptions, type OutputOptions, type OutputFormat, type PreparedQuery, type QueryServiceStats } from './service/query-service.js';
export { createLocalStripRunner, type StripRunner } from './service/strip-runner.js';
export { createQueueStripRunner, QUERY_QUEUE, type QueueStripRunnerOptions } from './scatter/queue-strip-runner.js';
export { serveStrips, type ServeStripsOptions } from './worker/serve-strips.js';
export { QUERY_TASKS_MODULE, stripTask } from './worker/query-tasks.js';
export { registerDatasetRoutes, datasetRoutes, type DatasetRoutesOptions } from './http/dataset-routes.js';
export { addFiles, findDataset, getDataset, listDatasets, removeDataset, type DatasetRevision } from './dataset/dataset-catalog.js';
export type { DatasetManifest, DatasetFileEntry } from './dataset/manifest.js';
export { generateDataset, type GenerateDatasetOptions } from './generate/generate-dataset.js';
export { writeDatasetFile } from './format/write-dataset-file.js';
export { DatasetFileEncoder, type ScanRow } from './format/dataset-file-encoder.js';
export { openDatasetFile, type DatasetFile } from './format/dataset-file-reader.js';
export type { Aggregate, QueryKind, QueryRequest, QueryResult, QueryGrid, NormalisedQuery } from './query/query-types.js';
export type { QueryErrorCode } from './query-errors.js';
