import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/clock.js';
import { SqliteEventStore } from '../../../src/adapters/embedded/sqlite-event-store.js';
import { TOKEN_STREAM, TokenRegistry } from '../../../src/server/auth/token-registry.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

describe('TokenRegistry', () => {
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

  it('accepts the token it created, and nothing close to it', async () => {
    const registry = new TokenRegistry({ events, clock });
    const { token, info } = await registry.create('ci', 'operate');
    assert.match(token, /^mr_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(await registry.verify(token), info);
    const [, id, secret] = /^mr_([a-z0-9]{12})_(.+)$/.exec(token) as unknown as [string, string, string];
    const flipped = `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
    for (const wrong of [`mr_${id}_${flipped}`, `mr_aaaaaaaaaaaa_${secret}`, token.toUpperCase(), '', 'Bearer x', `${token} `]) {
      assert.equal(await registry.verify(wrong), undefined, wrong);
    }
  });

  it('stores only a hash: the secret is in no event', async () => {
    const registry = new TokenRegistry({ events, clock });
    const { token } = await registry.create('alice', 'read');
    const secret = /^mr_[a-z0-9]{12}_(.+)$/.exec(token)![1]!;
    const stored = JSON.stringify(await events.read(TOKEN_STREAM));
    assert.ok(!stored.includes(secret));
  });

  it('a revocation made elsewhere is honoured by another server within its refresh interval', async () => {
    const cli = new TokenRegistry({ events, clock });
    const server = new TokenRegistry({ events, clock, refreshMs: 1000 });
    const { token, info } = await cli.create('temp', 'admin');
    assert.equal((await server.verify(token))?.id, info.id);
    const revokedAt = clock.now();
    assert.equal(await cli.revoke(info.id), true);
    assert.equal(await cli.revoke(info.id), false, 'revoking twice does nothing');
    await clock.advance(1001);
    assert.equal(await server.verify(token), undefined);
    const listed = (await cli.list()).find((t) => t.id === info.id)!;
    assert.equal(listed.revokedAt, revokedAt);
    assert.ok(!('hash' in listed));
  });

  it('names a bad name or scope', async () => {
    const registry = new TokenRegistry({ events, clock });
    await assert.rejects(registry.create('', 'read'), { code: 'CONFIG_INVALID', message: /token name/ });
    await assert.rejects(registry.create('x', 'root' as 'read'), { code: 'CONFIG_INVALID', message: /scope must be read, operate or admin/ });
  });
});
