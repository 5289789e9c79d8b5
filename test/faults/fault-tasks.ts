/** Tasks for fault tests: each records its effect in a ledger file before returning. */
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { defineTask } from '../../src/task.js';

/** Appends `<taskId> <attempt>` to the ledger (the effect), then returns. O_APPEND lines survive a SIGKILL of the writer. */
export const record = defineTask('record', async (input: { ledger: string; delayMs: number }, context) => {
  await sleep(input.delayMs);
  appendFileSync(input.ledger, `${context.taskId} ${context.attempt}\n`);
  return { recorded: context.taskId };
}, { retry: { maxAttempts: 5, initialDelayMs: 10 } });
