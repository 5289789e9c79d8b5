/**
 * @module examples/page-hits
 * Page hits from access logs: the job, the log generator, and a runner.
 * Everything the CLI and the demo need:
 *
 * ```ts
 * import { generateLogs, pageHits, PAGE_HITS_TASKS, runPageHits } from './examples/page-hits/index.js'
 * await generateLogs('access.log', 1e9, 1)                 // millrace example logs --size 1GB --out access.log
 * await millrace.startWorker({ tasks: PAGE_HITS_TASKS })   // or this module: it exports the job's tasks too
 * const run = await runPageHits(millrace, ['access.log'], { out: 'page-hits.csv' })
 * ```
 */
export { pageHits, byHitsThenPage, csvChunks, csvField, type PageCount, type PageHitsSummary } from './page-hits.js';
export { generateLogs, createLogGenerator, type GeneratedLogs, type LogGenerator } from './generate-logs.js';
export { runPageHits, PAGE_HITS_TASKS, type PageHitsRun, type RunPageHitsOptions } from './run-page-hits.js';
export { pageOf, describeProblem, PROBLEMS } from './clf.js';
