#!/usr/bin/env node
// Runs the test suite with Node's own runner, TypeScript loaded through tsx.
// Node 20 has no glob support in `--test`, so files are collected here.
// Usage: node scripts/run-tests.mjs [dir-or-file ...]   (default: test/)
// MILLRACE_TEST_TIMEOUT_MS overrides the per-test timeout (the fault runs at large scale need more).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const roots = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['test'];
const files = roots.flatMap((root) => collect(root)).sort();
if (files.length === 0) {
  console.error(`no test files under ${roots.join(', ')}`);
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', `--test-timeout=${process.env.MILLRACE_TEST_TIMEOUT_MS ?? 180000}`, ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);

function collect(path) {
  if (statSync(path).isFile()) return [path];
  return readdirSync(path, { withFileTypes: true }).flatMap((entry) => {
    const full = join(path, entry.name);
    if (entry.isDirectory()) return collect(full);
    return entry.name.endsWith('.test.ts') ? [full] : [];
  });
}
