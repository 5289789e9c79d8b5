/**
 * @module core/module-thread
 * Starts a worker thread that runs an ES module. When the module, or one it
 * will load, is TypeScript (running from source, or a user's `tasks.ts`),
 * the thread registers the tsx loader first: a thread does not inherit the
 * loaders of its parent.
 */
import { Worker } from 'node:worker_threads';
import { MillraceError } from './errors.js';

/**
 * The script every module thread starts from. A failure to load is posted as
 * `{ t: 'fatal', message }`, so the parent can report what went wrong.
 */
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsxLoader) {
    (await import(workerData.tsxLoader.esm)).register();
    // A .ts file outside any "type": "module" package loads as CommonJS: that needs tsx's require hook too.
    (await import(workerData.tsxLoader.cjs)).register();
  }
  await import(workerData.entry);
})().catch((error) => {
  require('node:worker_threads').parentPort.postMessage({ t: 'fatal', message: String(error && error.message || error) });
});
`;

export interface ModuleThreadOptions {
  /** What the thread's module reads from `workerData` (besides `entry` and `tsxLoader`, which the bootstrap uses). */
  workerData: Record<string, unknown>;
  /** Other modules the thread will import: TypeScript among them needs the loader too. */
  alsoLoads?: readonly string[];
}

/** Starts `entry` in a new thread with `options.workerData`. @throws `CONFIG_INVALID` when TypeScript needs tsx and it is missing */
export function startModuleThread(entry: URL, options: ModuleThreadOptions): Worker {
  const isTypeScript = [entry.href, ...(options.alsoLoads ?? [])].some((url) => /\.[mc]?tsx?$/.test(url));
  return new Worker(BOOTSTRAP, { eval: true, workerData: { ...options.workerData, entry: entry.href, tsxLoader: isTypeScript ? tsxLoader() : undefined } });
}

/** A sibling module of `base` (an `import.meta.url`), with the extension the running code has (`.ts` from source, `.js` built). */
export function siblingModule(base: string, name: string): URL {
  return new URL(`./${name}${base.endsWith('.ts') ? '.ts' : '.js'}`, base);
}

function tsxLoader(): { esm: string; cjs: string } {
  try {
    return { esm: import.meta.resolve('tsx/esm/api'), cjs: import.meta.resolve('tsx/cjs/api') };
  } catch {
    throw new MillraceError('CONFIG_INVALID', 'loading TypeScript in worker threads needs the "tsx" package: npm install tsx');
  }
}
