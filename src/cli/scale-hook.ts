/**
 * @module cli/scale-hook
 * `millrace server --scale-hook CMD`: runs a shell command whenever the
 * cluster scaler's desired worker count changes, with the figures in its
 * environment (`MILLRACE_DESIRED_WORKERS`, `MILLRACE_PREVIOUS_WORKERS`,
 * `MILLRACE_SCALE_QUEUE`, `MILLRACE_SCALE_REASON`), e.g.
 * `kubectl scale deploy/millrace-worker --replicas=$MILLRACE_DESIRED_WORKERS`.
 * A hook that fails or hangs is logged and killed after a minute; the
 * scaler goes on.
 */
import { spawn } from 'node:child_process';
import type { Logger } from '../core/logger.js';
import type { ScalingDecision } from '../workers/scaler/scaling-policy.js';

const HOOK_TIMEOUT_MS = 60_000;

export function scaleHook(command: string, queue: string, logger: Logger): (decision: ScalingDecision) => Promise<void> {
  return (decision) => new Promise<void>((resolve) => {
    const child = spawn(command, {
      shell: true,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        ...process.env,
        MILLRACE_DESIRED_WORKERS: String(decision.to),
        MILLRACE_PREVIOUS_WORKERS: String(decision.from),
        MILLRACE_SCALE_QUEUE: queue,
        MILLRACE_SCALE_REASON: decision.reason,
      },
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), HOOK_TIMEOUT_MS);
    child.once('error', (error) => logger.warn({ error: error.message }, 'scale hook could not start'));
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) logger.info({ desired: decision.to }, 'scale hook ran');
      else logger.warn({ code, signal, stderr }, 'scale hook failed');
      resolve();
    });
  });
}
