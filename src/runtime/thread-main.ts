/**
 * @module runtime/thread-main
 * Entry of every worker thread: opens this thread's blob store, imports the
 * user's task module, reports the tasks it found, then serves runs. A module
 * that fails to load is reported as `fatal` with its error, so the pool can
 * tell the user which file is wrong instead of timing out.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '../core/logger.js';
import { collectTasks, taskInfo } from '../workers/task-definition.js';
import { serveTasks } from '../workers/task-executor.js';
import type { FromThread, ThreadData } from '../workers/thread-protocol.js';
import { openBlobStore, type BlobStoreConfig } from './blob-store-config.js';

const port = parentPort!;
const data = (workerData as { data: ThreadData }).data;
const send = (message: FromThread): void => port.postMessage(message);

try {
  const moduleExports = (await import(data.tasksModule)) as Record<string, unknown>;
  const tasks = collectTasks(moduleExports, data.tasksModule);
  const blobs = await openBlobStore(data.blobStore as BlobStoreConfig);
  const logger = createLogger({ level: data.logLevel }).child({ thread: true });
  serveTasks(port, tasks, { blobs, logger, claimCheckBytes: data.claimCheckBytes });
  send({ t: 'ready', tasks: [...tasks.values()].map(taskInfo) });
} catch (error) {
  send({ t: 'fatal', message: `cannot load task module ${data.tasksModule}: ${(error as Error).message}` });
}
