import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { defineProcess } from '../../../src/jobs/process-definition.js';
import { ProcessRegistry } from '../../../src/jobs/process-registry.js';
import { squares, squaresV2 } from '../../fixtures/processes.js';

describe('defineProcess', () => {
  it('orders steps parents first, whatever the declaration order', () => {
    const p = defineProcess('p', 1, (b) => {
      b.task('c', { task: 't', after: ['a', 'b'] });
      b.task('b', { task: 't', after: ['a'] });
      b.task('a', { task: 't' });
    });
    assert.deepEqual(p.steps.map((s) => s.name), ['a', 'b', 'c']);
  });

  it('rejects cycles, unknown parents, duplicates and bad names, naming the step', () => {
    assert.throws(() => defineProcess('p', 1, (b) => {
      b.task('a', { task: 't', after: ['b'] });
      b.task('b', { task: 't', after: ['a'] });
    }), { code: 'CONFIG_INVALID', message: /steps a, b form a cycle/ });
    assert.throws(() => defineProcess('p', 1, (b) => void b.task('a', { task: 't', after: ['ghost'] })), { code: 'CONFIG_INVALID', message: /step "a": after refers to unknown step "ghost"/ });
    assert.throws(() => defineProcess('p', 1, (b) => {
      b.task('a', { task: 't' });
      b.task('a', { task: 't' });
    }), { code: 'CONFIG_INVALID', message: /two steps named "a"/ });
    assert.throws(() => defineProcess('p', 1, (b) => void b.task('a b', { task: 't' })), { code: 'CONFIG_INVALID', message: /step name must match/ });
    assert.throws(() => defineProcess('p', 0, (b) => void b.task('a', { task: 't' })), { code: 'CONFIG_INVALID', message: /version must be an integer ≥ 1/ });
    assert.throws(() => defineProcess('p', 1, () => undefined), { code: 'CONFIG_INVALID', message: /has no steps/ });
    assert.throws(() => defineProcess('p', 1, (b) => void b.batch('a', { task: 't' } as never)), { code: 'CONFIG_INVALID', message: /a batch needs an items function/ });
  });
});

describe('ProcessRegistry', () => {
  it('keeps every version and picks the latest by default', () => {
    const registry = new ProcessRegistry();
    registry.register(squares);
    registry.register(squaresV2);
    assert.equal(registry.get('squares').version, 2);
    assert.equal(registry.get('squares', 1), squares);
  });

  it('refuses a different definition under a name and version already registered', () => {
    const registry = new ProcessRegistry();
    registry.register(squares);
    const impostor = defineProcess('squares', 1, (b) => void b.task('other', { task: 't' }));
    assert.throws(() => registry.register(impostor), { code: 'CONFIG_INVALID', message: /give the new one a new version/ });
  });
});
