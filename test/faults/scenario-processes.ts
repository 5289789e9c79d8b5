/** Process definitions shared by the fault scenarios and their child processes. */
import { defineProcess } from '../../src/jobs/process-definition.js';
import type { EffectInput } from './scenario-tasks.js';

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
