/**
 * Tasks the fault scenarios run on worker threads. Each records its effect
 * in the scenario's ledger (see harness/ledger) under a key derived from its
 * input, so the checker can count lost and duplicated applications.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { defineTask } from '../../src/task.js';
import { recordEffect } from './harness/ledger.js';

export interface EffectInput {
  ledger: string;
  key: string;
  delayMs: number;
  /** Kill this worker process right after the effect, before the result is reported or acked (its first run only). */
  killAfterEffect?: boolean;
}

/** Records `executed <key>` (every run of the handler), then returns the key: the result the orchestrator applies. */
export const ledgerEffect = defineTask('ledger-effect', async (input: EffectInput, context) => {
  if (input.delayMs > 0) await sleep(input.delayMs);
  const runs = recordEffect(input.ledger, 'executed', input.key, `${context.taskId}#${context.attempt}`);
  // `context.attempt` counts the process's retries, not redeliveries after a crash: the ledger knows whether this is the first run.
  if (input.killAfterEffect === true && runs === 1) process.kill(process.pid, 'SIGKILL');
  return input.key;
}, { retry: { maxAttempts: 10, initialDelayMs: 10 } });

/** Poison: always throws. */
export const poisonThrow = defineTask('poison-throw', (input: { ledger: string; key: string }, context) => {
  recordEffect(input.ledger, 'poison-run', input.key, `attempt ${context.attempt}`);
  throw new Error(`poison input ${input.key}`);
});

/** Poison: crashes the worker thread running it (an error thrown outside the handler's promise). */
export const poisonThread = defineTask('poison-thread', (input: { ledger: string; key: string }, context) => {
  recordEffect(input.ledger, 'poison-run', input.key, `attempt ${context.attempt}`);
  setImmediate(() => {
    throw new Error(`poison input ${input.key} crashed its thread`);
  });
  return new Promise(() => undefined);
});

/** Poison: kills the whole worker process running it, every time. */
export const poisonProcess = defineTask('poison-process', (input: { ledger: string; key: string }) => {
  recordEffect(input.ledger, 'poison-run', input.key);
  process.kill(process.pid, 'SIGKILL');
});

export interface ClaimEffectInput { ledger: string; key: string; padding: string; delayMs: number }

/**
 * Scenario 7: input and output both large enough to travel by claim check.
 * The output names the run that produced it, so a task run again after a
 * crash stores a *different* blob: the one its killed run uploaded is an
 * orphan nothing refers to.
 */
export const claimEffect = defineTask('claim-effect', async (input: ClaimEffectInput, context) => {
  if (input.delayMs > 0) await sleep(input.delayMs);
  recordEffect(input.ledger, 'executed', input.key, `${context.taskId}#${context.attempt}`);
  return { key: input.key, producedBy: `${process.pid}:${context.attempt}:${Math.random()}`, padding: input.padding };
}, { retry: { maxAttempts: 10, initialDelayMs: 10 } });
