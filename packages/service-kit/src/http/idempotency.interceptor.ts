import { createHash } from 'node:crypto';
import {
  type CallHandler,
  type ExecutionContext,
  Inject,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants.js';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { from, lastValueFrom, type Observable } from 'rxjs';
import type { ServiceLogger } from '../logging/logger.js';
import { ApiError, toErrorResponse, type DomainErrorStatuses } from './api-error.js';
import { IdempotencyStore } from './idempotency.store.js';
import { apiCallerOf } from './require-scope.decorator.js';
import { STREAMED_BODY_DIGEST, streamedBodyOf, type StreamedRequestBody } from './streamed-body.js';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
export const IDEMPOTENT_REPLAY_HEADER = 'idempotent-replayed';
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const KEY = /^[\x21-\x7e]{8,255}$/;

export const HTTP_EDGE_SETTINGS = Symbol('rxbridge:http-edge-settings');
export interface HttpEdgeSettings {
  errorStatuses: DomainErrorStatuses;
  logger: ServiceLogger;
}

/** Thrown to send a stored answer again; the edge's filter sends it as it was. */
export class IdempotentReplay extends Error {
  override readonly name = 'IdempotentReplay';
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super('replaying the stored answer');
  }
}

/** The same request, whatever order the client serialised its keys in. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function requestHash(request: FastifyRequest): string {
  return createHash('sha256')
    .update(`${request.method} ${request.url}\n`)
    .update(canonicalJson(request.body))
    .digest('hex');
}

/**
 * Every write (POST, PUT, PATCH, DELETE) of an authenticated caller needs an Idempotency-Key. The first
 * request with a key runs; its answer (status and body) is stored and sent again for the same key and
 * request; another request under the same key gets 422; a duplicate that arrives while the first still runs
 * gets 409 with Retry-After (it is not held open: the first may take long, and a held request ties up a
 * database connection). Answers of 5xx and of malformed requests (400 invalid_request/invalid_body) are not
 * stored: the key is released so a corrected or later retry runs.
 *
 * A streamed body (StreamedRequestBody: a CSV upload) is hashed while the handler reads it: its digest is
 * stored with the answer, and a replay reads the new body through the hash before it answers the stored
 * answer (same digest) or 422. A refusal of a streamed body is not stored (the key is released, as for a
 * malformed request): the handler often stopped reading, so there is no digest, and it applied nothing.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(IdempotencyStore) private readonly store: IdempotencyStore,
    @Inject(HTTP_EDGE_SETTINGS) private readonly settings: HttpEdgeSettings,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const caller = apiCallerOf(request);
    // Public routes (health) have no caller and no writes to protect.
    if (!WRITE_METHODS.has(request.method) || !caller) return next.handle();
    const key = request.headers[IDEMPOTENCY_KEY_HEADER];
    if (typeof key !== 'string' || !KEY.test(key)) {
      throw new ApiError(
        400,
        'idempotency_key_required',
        'writes need an Idempotency-Key header of 8-255 printable characters',
        [
          {
            field: 'Idempotency-Key',
            issue: key === undefined ? 'missing' : 'invalid',
            message: 'see the API docs',
          },
        ],
      );
    }
    const status =
      this.reflector.get<number | undefined>(HTTP_CODE_METADATA, context.getHandler()) ??
      (request.method === 'POST' ? 201 : 200);
    const streamed = streamedBodyOf(request.body);
    return from(this.run(caller.name, key, requestHash(request), status, next, streamed));
  }

  private async run(
    tokenName: string,
    key: string,
    hash: string,
    status: number,
    next: CallHandler,
    streamed: StreamedRequestBody | undefined,
  ): Promise<unknown> {
    const reused = () =>
      new ApiError(422, 'idempotency_key_reused', 'this Idempotency-Key was used for a different request');
    const claim = await this.store.claim(tokenName, key, hash);
    switch (claim.kind) {
      case 'replay':
        // a row stored before streamed bodies had digests (content_hash NULL) replays on the envelope alone
        if (streamed && claim.contentHash !== null) {
          const digest = await streamed[STREAMED_BODY_DIGEST]();
          if (digest !== claim.contentHash) throw reused();
        }
        throw new IdempotentReplay(claim.status, claim.body);
      case 'mismatch':
        throw reused();
      case 'in_progress':
        throw new ApiError(
          409,
          'idempotency_key_in_use',
          'a request with this Idempotency-Key is still running; retry later',
          undefined,
          { 'retry-after': '1' },
        );
      case 'execute':
        break;
    }
    let result: unknown;
    try {
      result = await lastValueFrom(next.handle(), { defaultValue: undefined });
    } catch (error) {
      const answer = toErrorResponse(error, this.settings.errorStatuses);
      const malformed =
        answer.body.error.code === 'invalid_request' || answer.body.error.code === 'invalid_body';
      // a refused streamed body was often not read to its end, so it has no digest to store: the key is
      // released as for malformed input (the handler of a streamed body refuses without effect)
      await (
        answer.status >= 500 || malformed || streamed
          ? this.store.release(tokenName, key)
          : this.store.complete(tokenName, key, answer.status, answer.body)
      ).catch((storeError: unknown) => this.storeFailed(storeError));
      throw error;
    }
    // The work is done: if the answer cannot be stored, still send it; a retry after the lease runs again.
    await this.completeWithDigest(tokenName, key, status, result, streamed).catch((e: unknown) =>
      this.storeFailed(e),
    );
    return result;
  }

  /**
   * Stores the answer, with the digest of a streamed body (what the handler left unread is hashed now);
   * without a whole digest (the client went away) the key is released: a retry runs again.
   */
  private async completeWithDigest(
    tokenName: string,
    key: string,
    status: number,
    body: unknown,
    streamed: StreamedRequestBody | undefined,
  ): Promise<void> {
    if (!streamed) return this.store.complete(tokenName, key, status, body);
    const digest = await streamed[STREAMED_BODY_DIGEST]();
    if (digest === undefined) return this.store.release(tokenName, key);
    return this.store.complete(tokenName, key, status, body, digest);
  }

  private storeFailed(error: unknown): void {
    this.settings.logger.error({ err: error }, 'could not store an idempotent answer');
  }
}
