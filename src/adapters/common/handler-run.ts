/**
 * @module adapters/common/handler-run
 * The port's rule for a consumer's handler, kept in one place for every
 * adapter's consumer loop: a handler that returns without settling its
 * delivery has it acked; one that throws (or rejects) has it nacked with
 * requeue; a throw after the handler settled is only logged.
 */
import { messageOf } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { DeliveryHandler } from '../../ports/task-queue.js';
import type { QueueDelivery } from './queue-delivery.js';

/** How a handler ended: `undefined` when it returned, its error when it threw. */
export type HandlerFailure = { error: unknown } | undefined;

/** Runs a handler, turning a synchronous throw into a rejection; resolves with how it ended. */
export function runHandler(handler: DeliveryHandler, delivery: QueueDelivery): Promise<HandlerFailure> {
  let result: Promise<void>;
  try {
    result = handler(delivery);
  } catch (error) {
    result = Promise.reject(error);
  }
  return Promise.resolve(result).then(
    () => undefined,
    (error: unknown) => ({ error }),
  );
}

/** Settles what the handler left unsettled (ack on return, nack with requeue on throw). */
export function settleLeftover(delivery: QueueDelivery, failure: HandlerFailure, queue: string, logger: Logger): void {
  if (delivery.unsettled) {
    const settle = failure === undefined
      ? delivery.ack()
      : delivery.nack({ requeue: true, reason: `handler failed: ${messageOf(failure.error)}` });
    settle.catch((error: unknown) => {
      logger.warn({ queue, messageId: delivery.id, attempt: delivery.attempt, err: messageOf(error) }, 'automatic settle failed');
    });
  } else if (failure !== undefined) {
    logger.debug({ queue, messageId: delivery.id, err: messageOf(failure.error) }, 'handler threw after settling');
  }
}
