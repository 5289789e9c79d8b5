/** Process definitions shared by the fault scenarios and their child processes. */
import { defineProcess } from '../../src/jobs/process-definition.js';
import type { ClaimEffectInput, EffectInput } from './scenario-tasks.js';

export interface EffectsInput { n: number; ledger: string; killAfterEffect?: number[]; delayMs?: number }

/** Fan out over n items (each one effect), then fan in: the output lists the keys whose results were applied. */
export const effectsDag = defineProcess<EffectsInput>('fault-effects', 1, (p) => {
  p.batch('effect', {
    task: 'ledger-effect',
    items: ({ input }): EffectInput[] => {
      const kill = new Set(input.killAfterEffect ?? []);
      return Array.from({ length: input.n }, (_, i) => ({ ledger: input.ledger, key: `effect-${i}`, delayMs: input.delayMs ?? 1, killAfterEffect: kill.has(i) }));
    },
  });
  p.output(({ outputs }) => outputs.effect as string[]);
});

export interface ClaimsInput { n: number; ledger: string; padding: string; delayMs: number }

/** Scenario 7: a fan-out whose process input, task inputs and task outputs all go through the claim check. */
export const claimsDag = defineProcess<ClaimsInput>('fault-claims', 1, (p) => {
  p.batch('effect', {
    task: 'claim-effect',
    items: ({ input }): ClaimEffectInput[] => Array.from({ length: input.n }, (_, i) => ({ ledger: input.ledger, key: `effect-${i}`, padding: input.padding, delayMs: input.delayMs })),
  });
  p.output(({ outputs }) => (outputs.effect as Array<{ key: string }>).map((o) => o.key));
});
