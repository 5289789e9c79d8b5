/**
 * @module millrace/rabbitmq
 * The cluster task queue on RabbitMQ (3.10+, through amqplib): durable
 * queues, publisher confirms, priorities 0–9, attempts and dead letters,
 * leases, delays without plugins, request/reply, and reconnection. See
 * docs/cluster.md (RabbitMQ) for the topology, what is promised and how to
 * scale workers on queue length.
 *
 * @example
 * ```ts
 * import { createRabbitMqTaskQueue } from 'millrace/rabbitmq'
 * const queue = await createRabbitMqTaskQueue({ url: 'amqp://user:secret@rabbit:5672/prod' })
 * ```
 */
export { createRabbitMqTaskQueue, RabbitMqTaskQueue } from './rabbitmq-task-queue.js';
export { DEFAULT_RABBITMQ_URL, type RabbitMqTaskQueueOptions } from './rabbitmq-options.js';
export { DELAY_BUCKETS, MAX_DELAY_MS, queueNames, type QueueNames } from './rabbitmq-topology.js';
