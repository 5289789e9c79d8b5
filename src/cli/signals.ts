/**
 * @module cli/signals
 * Long-running commands (`server`, `worker`) end on SIGTERM or SIGINT by
 * draining: they stop taking work and finish what they hold. A second
 * signal while draining exits at once, for an operator who cannot wait.
 */
import type { Logger } from '../core/logger.js';

/** Resolves with the first SIGTERM or SIGINT; a second one exits the process with 130. */
export function untilStopSignal(logger: Logger, draining: string): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      logger.info({ signal }, draining);
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      const hurry = (again: NodeJS.Signals): void => {
        logger.warn({ signal: again }, 'second signal: exiting without draining');
        process.exit(130);
      };
      process.once('SIGTERM', hurry);
      process.once('SIGINT', hurry);
      resolve(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
