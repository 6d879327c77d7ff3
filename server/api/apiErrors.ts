/**
 * The one error body of the API: `{statusCode, code, message, field?, problems?}`. `field` names
 * the input at fault ("body.minutes", "querystring.limit"); `problems` lists every problem found
 * (shared/validation.ts format) when there are several.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { toProblems, type Problem } from '../../shared/validation.js';
import { CatalogueConflictError, CatalogueInvalidError, CatalogueNotFoundError } from '../catalogue/liveCatalogue.js';
import { ContractError } from '../sla/contract.js';
import { StoreFailedError, UniqueKeyViolation } from '../storage/repository.js';
import { TicketActionError, TicketNotFoundError } from '../tickets/ticketService.js';

export const ErrorCode = z.enum([
  'VALIDATION_FAILED',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'PRECONDITION_REQUIRED',
  'RATE_LIMITED',
  'PAYLOAD_TOO_LARGE',
  'STORAGE_UNAVAILABLE',
  'INTERNAL',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ApiErrorBody = z
  .object({
    statusCode: z.number().int(),
    code: ErrorCode,
    message: z.string(),
    field: z.string().optional(),
    problems: z.array(z.object({ path: z.string(), expected: z.string(), found: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Error' });
export type ApiErrorBody = z.infer<typeof ApiErrorBody>;

export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
    readonly problems?: Problem[],
  ) {
    super(message);
    this.name = 'ApiError';
  }

  static notFound(what: string): ApiError {
    return new ApiError(404, 'NOT_FOUND', `${what} not found`);
  }

  static forbidden(message: string): ApiError {
    return new ApiError(403, 'FORBIDDEN', message);
  }

  /** From a zod error of input in `part` ("body", "querystring", "params"). */
  static invalid(part: string, error: z.ZodError): ApiError {
    const problems = toProblems(error).map((p) => {
      const path = p.path ? `${part}.${p.path}` : part;
      return { ...p, path, message: p.expected === 'no such key' ? `${path}: unknown key` : `${path}: expected ${p.expected}, found ${p.found}` };
    });
    const first = problems[0]!;
    return new ApiError(400, 'VALIDATION_FAILED', problems.map((p) => p.message).join('; '), first.path, problems);
  }

  body(): ApiErrorBody {
    return {
      statusCode: this.statusCode,
      code: this.code,
      message: this.message,
      ...(this.field !== undefined ? { field: this.field } : {}),
      ...(this.problems && this.problems.length > 0 ? { problems: this.problems } : {}),
    };
  }
}

/** Thrown by the validator compiler so the error handler knows which part failed and why. */
export class RequestValidationError extends Error {
  readonly statusCode = 400;
  constructor(readonly zodError: z.ZodError) {
    super('request validation failed');
    this.name = 'RequestValidationError';
  }
}

/** File-system errors of a write that failed for want of space or a working disk (token and credential files). */
const STORAGE_ERRNO = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS']);

/** Maps anything thrown by a route to the error body. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof RequestValidationError) {
    const part = (err as unknown as { validationContext?: string }).validationContext ?? 'request';
    return ApiError.invalid(part, err.zodError);
  }
  if (err instanceof TicketNotFoundError) return new ApiError(404, 'NOT_FOUND', err.message);
  if (err instanceof TicketActionError) return new ApiError(409, 'CONFLICT', err.message);
  if (err instanceof ContractError) return new ApiError(400, 'VALIDATION_FAILED', err.message, 'body');
  if (err instanceof CatalogueNotFoundError) return new ApiError(404, 'NOT_FOUND', err.message);
  if (err instanceof CatalogueConflictError) return new ApiError(409, 'CONFLICT', err.message);
  // The store refused a second holder of a unique key (e.g. reopening a ticket whose fault another open ticket now tracks).
  if (err instanceof UniqueKeyViolation)
    return new ApiError(409, 'CONFLICT', `${err.collection} ${err.id}: conflicts with ${err.existingId}, which already holds ${err.key}`);
  if (err instanceof CatalogueInvalidError) {
    const problems = err.problems.map((p) => ({
      path: `body.${p.path}`,
      expected: p.expected,
      found: `string ${JSON.stringify(p.found)}`,
      message: p.message,
    }));
    return new ApiError(400, 'VALIDATION_FAILED', err.message, problems[0]?.path ?? 'body', problems);
  }
  // Disk full, I/O error, database refusing writes: nothing was changed; the same request may succeed later.
  if (err instanceof StoreFailedError) return new ApiError(503, 'STORAGE_UNAVAILABLE', `storage is not accepting writes, nothing was changed: ${err.message}`);
  const fe = err as Partial<FastifyError>;
  if (typeof fe.code === 'string' && STORAGE_ERRNO.has(fe.code))
    return new ApiError(503, 'STORAGE_UNAVAILABLE', `storage is not accepting writes (${fe.code}), nothing was changed`);
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new ApiError(413, 'PAYLOAD_TOO_LARGE', fe.message ?? 'request body too large', 'body');
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    // Fastify's own client errors: bad JSON, wrong content type, empty body.
    return new ApiError(fe.statusCode, 'VALIDATION_FAILED', fe.message ?? 'bad request', 'body');
  }
  return new ApiError(500, 'INTERNAL', 'internal error (logged on the server)');
}

export function sendError(request: FastifyRequest, reply: FastifyReply, err: unknown): FastifyReply {
  const api = toApiError(err);
  if (api.statusCode >= 500) request.log.error({ err }, 'API request failed');
  return reply.code(api.statusCode).type('application/json; charset=utf-8').send(JSON.stringify(api.body()));
}
