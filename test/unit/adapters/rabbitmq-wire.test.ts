/**
 * The RabbitMQ adapter's pure parts, without a broker: the URL taken apart
 * and shown without credentials, error translation, delay buckets, and the
 * wire format read back as written.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Message } from 'amqplib';
import { isConnectionFailure, redact, translateBrokerError } from '../../../src/adapters/rabbitmq/rabbitmq-errors.js';
import { parseBrokerUrl, resolveOptions } from '../../../src/adapters/rabbitmq/rabbitmq-options.js';
import { DELAY_BUCKETS, delayBucket, queueNames } from '../../../src/adapters/rabbitmq/rabbitmq-topology.js';
import { ATTEMPTS_HEADER, copyMessage, decodeMessage, encodeMessage } from '../../../src/adapters/rabbitmq/rabbitmq-wire.js';
import { prepareMessages } from '../../../src/adapters/common/message-validation.js';

void describe('RabbitMQ options and errors', () => {
  void it('shows a broker as host:port/vhost and knows what to scrub', () => {
    const endpoint = parseBrokerUrl('amqp://worker:s3cr%40t@rabbit.internal:5673/prod%2Fa');
    assert.equal(endpoint.display, 'rabbit.internal:5673/prod/a');
    assert.equal(endpoint.password, 's3cr@t');
    assert.equal(endpoint.vhost, 'prod/a');
    assert.equal(parseBrokerUrl('amqps://h').display, 'h:5671/');
    assert.ok(endpoint.secrets.includes('s3cr@t') && endpoint.secrets.includes('worker'));
  });

  void it('refuses a bad URL or option with CONFIG_INVALID, echoing no part of the URL', () => {
    for (const url of ['not a url with pw s3cret', 'http://u:s3cret@h/']) {
      assert.throws(() => parseBrokerUrl(url), (e: unknown) => (e as { code?: string }).code === 'CONFIG_INVALID' && !String(e).includes('s3cret'));
    }
    for (const bad of [{ prefix: 'has space' }, { maxAttempts: 0 }, { deliveryTimeoutMs: 5000 }, { heartbeatSeconds: -1 }]) {
      assert.throws(() => resolveOptions(bad), (e: unknown) => (e as { code?: string }).code === 'CONFIG_INVALID');
    }
  });

  void it('translates driver errors to engine codes without credentials', () => {
    const context = { broker: 'h:5672/', secrets: ['s3cret', 'worker'] };
    const refused = translateBrokerError(Object.assign(new Error('connect ECONNREFUSED amqp://worker:s3cret@h:5672'), { code: 'ECONNREFUSED' }), context, 'connect');
    assert.equal(refused.code, 'NOT_AVAILABLE');
    assert.doesNotMatch(refused.message, /s3cret|worker/);
    assert.equal(translateBrokerError(Object.assign(new Error('PRECONDITION_FAILED - inequivalent arg'), { code: 406 }), context, 'declare').code, 'CONFIG_INVALID');
    assert.match(translateBrokerError(new Error('Handshake terminated by server: 403 (ACCESS-REFUSED)'), context, 'connect').message, /refused the login/);
    assert.equal(redact('amqp://a:b@h/ and s3cret', ['s3cret']), 'amqp://***@h/ and ***');
  });
});

void describe('RabbitMQ connection failures', () => {
  void it('tells a call cut off by a dropped connection (tried again) from a refusal (reported)', () => {
    assert.equal(isConnectionFailure(new Error('Channel ended, no reply will be forthcoming')), true);
    assert.equal(isConnectionFailure(new Error('Channel closed')), true);
    assert.equal(isConnectionFailure(Object.assign(new Error('reset'), { code: 'ECONNRESET' })), true);
    assert.equal(isConnectionFailure(Object.assign(new Error('PRECONDITION_FAILED - inequivalent arg'), { code: 406 })), false);
    assert.equal(isConnectionFailure(Object.assign(new Error('NOT_FOUND - no queue'), { code: 404 })), false);
  });
});

void describe('RabbitMQ topology and wire format', () => {
  void it('buckets delays four times wider each step, never below the delay', () => {
    assert.equal(delayBucket(1), 0);
    assert.equal(delayBucket(255), 0);
    assert.equal(delayBucket(256), 1);
    assert.equal(delayBucket(600_000), 6);
    assert.equal(delayBucket(2 ** 32 - 1), DELAY_BUCKETS.length - 1);
    for (let k = 1; k < DELAY_BUCKETS.length; k++) assert.equal(DELAY_BUCKETS[k], DELAY_BUCKETS[k - 1]! * 4);
    assert.deepEqual(queueNames('p.', 'q').delays.slice(0, 2), ['p.q~delay~256', 'p.q~delay~1024']);
  });

  void it('sends a first publish with no header table, and reads it back', () => {
    const [plain] = prepareMessages('q', { id: 'm-1', name: 'resize', payload: { x: 1 }, priority: 7 }, 5);
    const wire = encodeMessage('p.q', plain!, { attempts: 0, publishedAt: 1_700_000_000_123, replyTo: null, mandatory: true, defaultMaxAttempts: 5 });
    assert.equal(wire.options.headers, undefined);
    const decoded = decodeMessage(asDelivery(wire.content, wire.options), 5, 0);
    assert.ok(decoded.ok);
    assert.deepEqual(decoded.value, { id: 'm-1', name: 'resize', payload: { x: 1 }, priority: 7, attempts: 0, maxAttempts: 5, headers: {}, publishedAt: 1_700_000_000_123, replyTo: null });
  });

  void it('carries attempts, a non-default maxAttempts and user headers on copies', () => {
    const [message] = prepareMessages('q', { id: 'm-2', name: 'n', payload: [1], maxAttempts: 3, headers: { trace: 't' } }, 5);
    const first = encodeMessage('p.q', message!, { attempts: 0, publishedAt: 10, replyTo: 'p.reply', mandatory: true, defaultMaxAttempts: 5 });
    const copy = copyMessage('p.q', asDelivery(first.content, first.options), {}, { attempts: 2, publishedAt: 10, replyTo: 'p.reply', mandatory: true });
    assert.equal((copy.options.headers as Record<string, unknown>)[ATTEMPTS_HEADER], 2);
    const decoded = decodeMessage(asDelivery(copy.content, copy.options), 5, 0);
    assert.ok(decoded.ok);
    assert.equal(decoded.value.attempts, 2);
    assert.equal(decoded.value.maxAttempts, 3);
    assert.deepEqual(decoded.value.headers, { trace: 't' });
    assert.equal(decoded.value.replyTo, 'p.reply');
  });

  void it('says why a delivery cannot be handed out', () => {
    const noId = decodeMessage(asDelivery(Buffer.from('1'), { type: 'n' }), 5, 0);
    assert.equal(noId.ok, false);
    const hostile = decodeMessage(asDelivery(Buffer.from('{"__proto__":{"x":1}}'), { messageId: 'm', type: 'n' }), 5, 0);
    assert.ok(!hostile.ok && /__proto__/.test(hostile.reason));
  });
});

/** A delivery as amqplib would hand it over. */
function asDelivery(content: Buffer, properties: object): Message {
  return { content, fields: { deliveryTag: 1, redelivered: false, exchange: '', routingKey: 'p.q' }, properties: { headers: undefined, ...properties } } as unknown as Message;
}
