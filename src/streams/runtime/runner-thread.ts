/**
 * @module streams/runtime/runner-thread
 * Entry of a runner thread (`startRunnerThreads`): imports the pipeline
 * module and the store module, opens its own handles on the shared stores
 * (live objects cannot cross threads), and runs one runner until told to
 * stop or the run ends.
 *
 * ```
 *  parent ──{ t:'stop' }──▶ thread          thread ──{ t:'joined', runnerId }──▶ parent
 *                                           thread ──{ t:'done' }─────────────▶ parent
 *                                           thread ──{ t:'failed', code, message }──▶ parent
 * ```
 */
import { parentPort, workerData } from 'node:worker_threads';
import { MillraceError } from '../../core/errors.js';
import { isPipelineDefinition } from './pipeline.js';
import type { RunnerThreadData, StreamStoreModule } from './runner-threads.js';
import { startRunner } from './stream-runner.js';

const port = parentPort!;
const { runner: data, threadData } = workerData as { runner: RunnerThreadData; threadData: unknown };

try {
  const pipelines = Object.values((await import(data.module)) as Record<string, unknown>).filter(isPipelineDefinition);
  const definition = pipelines.find((pipeline) => pipeline.name === data.stream);
  if (definition === undefined) throw new MillraceError('CONFIG_INVALID', `${data.module} exports no stream pipeline named "${data.stream}"`, { stream: data.stream });
  const { openStreamStore } = (await import(data.storeModule)) as StreamStoreModule;
  if (typeof openStreamStore !== 'function') throw new MillraceError('CONFIG_INVALID', `${data.storeModule} must export openStreamStore()`);
  const opened = await openStreamStore(threadData);
  try {
    const runner = await startRunner(definition, { ...data.options, store: opened.store, ...(opened.blobs === undefined ? {} : { blobs: opened.blobs }), runnerId: data.runnerId });
    port.on('message', (message: { t: string }) => {
      if (message.t === 'stop') void runner.stop();
    });
    port.postMessage({ t: 'joined', runnerId: runner.runnerId });
    await runner.done;
  } finally {
    await opened.close();
  }
  port.postMessage({ t: 'done' });
  port.close();
} catch (error) {
  port.postMessage({ t: 'failed', code: (error as { code?: string }).code ?? 'INTERNAL', message: (error as Error).message });
  port.close();
}
