/**
 * @module server/http-errors
 * How an error becomes an HTTP answer: the engine's codes map to statuses
 * (one table for every route family: core/http-status),
 * a schema failure is a 400 that names the field, and anything unexpected
 * is a 500 that says nothing about the inside (the log gets the details).
 * No response ever carries a stack trace.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { MillraceError } from '../core/errors.js';
import { httpStatusOf } from '../core/http-status.js';
import type { Logger } from '../core/logger.js';

/** The body of every error response. */
export interface ErrorBody {
  error: { code: string; message: string };
}

export function errorHandler(logger: Logger) {
  return (error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void => {
    const fastifyError = error as FastifyError;
    if (fastifyError.validation !== undefined) {
      void reply.status(400).send(body('REQUEST_INVALID', `${fastifyError.validationContext ?? 'request'}${fieldOf(fastifyError)} ${fastifyError.validation[0]?.message ?? 'is invalid'}`));
      return;
    }
    if (error instanceof MillraceError) {
      const status = httpStatusOf(error.code) ?? 500;
      if (status === 500) logger.error({ code: error.code, error: error.message, url: request.url }, 'request failed');
      void reply.status(status).send(body(error.code, status === 500 ? 'internal error' : error.message));
      return;
    }
    // Fastify's own client errors (a body too large, bad JSON, wrong content type) keep their status.
    const status = typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500 ? fastifyError.statusCode : 500;
    if (status === 500) logger.error({ error: error.message, url: request.url }, 'request failed');
    void reply.status(status).send(body(fastifyError.code ?? 'REQUEST_INVALID', status === 500 ? 'internal error' : error.message));
  };
}

/**
 * Errors of the router, before any route runs: a URL that does not decode
 * (400) or a path parameter past the router's limit (414). Fastify's own
 * answer has another shape; this one is the API's.
 */
export function frameworkError(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const status = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : 400;
  const message = status === 414 ? 'a path parameter is longer than the server accepts' : 'the URL is not validly percent-encoded UTF-8';
  void reply.status(status).send(body('REQUEST_INVALID', message));
}

/**
 * Errors of the HTTP parser, before there is a request at all: not HTTP,
 * headers too large (431), or a client too slow to send them (408). Answered
 * on the socket in the API's shape, then the connection is closed.
 */
export function clientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message] = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'the request did not arrive in time']
    : error.code === 'HPE_HEADER_OVERFLOW' ? [431, 'the request headers are too large']
      : [400, 'the request is not valid HTTP/1.1'];
  const payload = JSON.stringify(body(status === 408 ? 'REQUEST_TIMEOUT' : 'REQUEST_INVALID', message));
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\nConnection: close\r\n\r\n${payload}`);
  }
  socket.destroy();
}

export function body(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

function fieldOf(error: FastifyError): string {
  const first = error.validation?.[0];
  if (first === undefined) return '';
  const params = first.params as { missingProperty?: string; additionalProperty?: string } | undefined;
  const path = first.instancePath.replace(/^\//, '').replaceAll('/', '.');
  const field = [path, params?.missingProperty ?? params?.additionalProperty].filter((part) => part !== undefined && part !== '').join('.');
  return field === '' ? '' : `.${field}`;
}
