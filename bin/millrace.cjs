#!/usr/bin/env node
/**
 * The `millrace` command's launcher. It sizes libuv's thread pool, which
 * runs every file read of the process (worker threads included), before
 * anything uses it: the pool's size is read once, at its first job, and
 * loading an ES module is already a job. Hence this CommonJS file, which
 * Node loads without the pool.
 *
 * Why 16 and not Node's 4: a query server reads dozens of byte ranges a
 * query. When the page cache has dropped part of a dataset, a few reads
 * wait on the disk, and with 4 threads those few held up every other read,
 * cached or not (docs/queries.md). A user's own UV_THREADPOOL_SIZE wins.
 */
'use strict';
process.env.UV_THREADPOOL_SIZE ??= '16';
import('../dist/cli/main.js');
