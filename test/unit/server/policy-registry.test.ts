/** Access policies: shared through the event store, and the rules that decide who may read or operate. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/clock.js';
import { SqliteEventStore } from '../../../src/adapters/embedded/sqlite-event-store.js';
import { PolicyRegistry } from '../../../src/server/auth/policy-registry.js';
import { ResourceAccess, policyAllows } from '../../../src/server/auth/resource-access.js';
import { TokenRegistry, type TokenInfo } from '../../../src/server/auth/token-registry.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

const token = (id: string, scope: TokenInfo['scope'], groups: string[] = []): TokenInfo => ({ id, name: id, scope, groups, createdAt: 0 });

describe('PolicyRegistry and ResourceAccess', () => {
  let dir: TempDir;
  let events: SqliteEventStore;
  const clock = new ManualClock(1_000_000);

  before(() => {
    dir = createTempDir();
    events = new SqliteEventStore({ path: dir.file('events.db') });
  });
  after(async () => {
    await events.close();
    dir.remove();
  });

  it('lets the owner and operators operate, readers only read, and nobody else either', () => {
    const policy = { resource: 'process:p', owner: 'token:aaaaaaaaaaaa', readers: ['group:audit'], operators: ['token:bbbbbbbbbbbb', 'group:oncall'], updatedAt: 0 };
    const cases: Array<[TokenInfo, boolean, boolean]> = [
      [token('aaaaaaaaaaaa', 'operate'), true, true],
      [token('bbbbbbbbbbbb', 'operate'), true, true],
      [token('cccccccccccc', 'operate', ['oncall']), true, true],
      [token('dddddddddddd', 'operate', ['audit']), true, false],
      [token('eeeeeeeeeeee', 'operate', ['other']), false, false],
    ];
    for (const [who, read, operate] of cases) {
      assert.equal(policyAllows(policy, who, 'read'), read, `${who.id} read`);
      assert.equal(policyAllows(policy, who, 'operate'), operate, `${who.id} operate`);
    }
  });

  it('is seen by every registry on the store; admin tokens, unpolicied resources and no auth pass', async () => {
    const writer = new PolicyRegistry({ events, clock });
    const reader = new PolicyRegistry({ events, clock, refreshMs: 1000 });
    const access = new ResourceAccess(reader);
    const bob = token('bbbbbbbbbbbb', 'operate');
    assert.equal(await access.check(bob, 'dataset:runs', 'read'), true, 'no policy yet');
    await writer.set({ resource: 'dataset:runs', owner: 'group:lab', readers: [], operators: [] });
    await clock.advance(1000);
    assert.equal(await access.check(bob, 'dataset:runs', 'read'), false, 'read by another registry within refreshMs');
    assert.equal(await access.check(token('cccccccccccc', 'read', ['lab']), 'dataset:runs', 'read'), true);
    assert.equal(await access.check(token('dddddddddddd', 'admin'), 'dataset:runs', 'operate'), true);
    assert.equal(await access.check(undefined, 'dataset:runs', 'operate'), true, 'without authentication nothing is enforced');
    assert.equal(await new ResourceAccess().check(bob, 'dataset:runs', 'read'), true, 'without policies nothing is enforced');
    assert.equal(await writer.remove('dataset:runs'), true);
    await clock.advance(1000);
    assert.equal(await access.check(bob, 'dataset:runs', 'read'), true, 'removed: open again');
    assert.equal(await writer.remove('dataset:runs'), false);
  });

  it('keeps a token\'s groups, and refuses a bad group name', async () => {
    const tokens = new TokenRegistry({ events, clock });
    const { token: secret } = await tokens.create('alice', 'read', ['lab', 'lab', 'audit.team']);
    assert.deepEqual((await new TokenRegistry({ events, clock }).verify(secret))?.groups, ['lab', 'audit.team']);
    await assert.rejects(tokens.create('bob', 'read', ['no spaces']), /group "no spaces" must be 1–64 letters/);
  });
});
