import { Inject, Injectable, Optional } from '@nestjs/common';
import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import { HttpAdapterHost, ModuleRef, Reflector } from '@nestjs/core';
import type { Observable } from 'rxjs';
import { ENKASH_REGISTRATION_METADATA } from '../enkash-auth.constants.js';
import type { EnkashAuthService } from '../enkash-auth.service.js';
import type { EnkashAuthenticatedRequest } from '../interfaces/enkash-authenticated-request.interface.js';
import { DEFAULT_ENKASH_REGISTRATION } from '../enkash-auth.constants.js';
import { findEnkashRegistration } from '../registration/find-registration.js';
import { isTokenFailure, tokenUnavailableAnswer } from './token-unavailable.exception.js';
import { EnkashAuthError } from '../errors/enkash-auth.error.js';
import { tokenWaitLimitReached } from '../enkash-auth.messages.js';

/** The longest a request waits for a token before its client gets `503 Service Unavailable`. */
const TOKEN_WAIT_LIMIT_MS = 10_000;

/**
 * Guarantees a valid EnKash access token before a route handler runs, for `@UseInterceptors(EnkashAuthInterceptor)`
 * on a controller or route, or globally as `APP_INTERCEPTOR`. The token is on `request.enkash` and behind
 * `@EnkashToken()`. It is the unnamed registration's token, or that of the registration named with
 * `@UseEnkashRegistration(registrationName)` on the route or its controller.
 *
 * After a token request failed for a reason that may pass, the handler waits for the next one when it starts within
 * 5 s (`getAccessToken()`'s default wait), and never more than 10 s for a token in all. When no token can be had the
 * handler does not run: the client gets
 * `503 Service Unavailable` (with `Retry-After` when trying again may work) or `502 Bad Gateway` (EnKash rejected the
 * credentials, or the configuration is wrong), with a JSON body that names the cause.
 */
@Injectable()
export class EnkashAuthInterceptor implements NestInterceptor {
  /** The `EnkashAuthService` of each registration a route has used, by registration name. */
  private readonly registrations = new Map<string, EnkashAuthService>();

  constructor(
    @Inject(ModuleRef) private readonly moduleRef: ModuleRef,
    @Inject(Reflector) private readonly reflector: Reflector,
    // Absent in a standalone application context, which has no HTTP responses to set headers on.
    @Optional() @Inject(HttpAdapterHost) private readonly adapterHost?: HttpAdapterHost,
  ) {}

  /** Obtains the token, puts it on the request, then lets the handler run. */
  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const auth = this.registrationFor(context);
    let token: string;
    try {
      // The common case, a token held, awaits nothing and arms no timer.
      token = auth.getCachedAccessToken() ?? (await tokenWithinLimit(auth));
    } catch (error) {
      if (!isTokenFailure(error) || context.getType() !== 'http') throw error;
      const { nextRetryAt, nextRenewalAt } = auth.getStatus();
      const { exception, retryAfterSeconds } = tokenUnavailableAnswer(
        error,
        nextRetryAt ?? nextRenewalAt,
      );
      // Not logged per request: the token engine has logged the failure once, with its details.
      if (retryAfterSeconds !== undefined) {
        const response: unknown = context.switchToHttp().getResponse();
        this.adapterHost?.httpAdapter?.setHeader(
          response,
          'Retry-After',
          String(retryAfterSeconds),
        );
      }
      throw exception;
    }
    if (context.getType() === 'http') {
      context.switchToHttp().getRequest<Partial<EnkashAuthenticatedRequest>>().enkash = token;
    }
    return next.handle();
  }

  /** The registration named by `@UseEnkashRegistration()` on the route or its controller, or the unnamed one. */
  private registrationFor(context: ExecutionContext): EnkashAuthService {
    const registrationName =
      this.reflector.getAllAndOverride<string | undefined>(ENKASH_REGISTRATION_METADATA, [
        context.getHandler(),
        context.getClass(),
      ]) ?? DEFAULT_ENKASH_REGISTRATION;
    let auth = this.registrations.get(registrationName);
    if (auth === undefined) {
      auth = findEnkashRegistration(this.moduleRef, registrationName);
      this.registrations.set(registrationName, auth);
    }
    return auth;
  }
}

/** The token, as soon as one can be had; however the token requests go, within {@link TOKEN_WAIT_LIMIT_MS}. */
async function tokenWithinLimit(auth: EnkashAuthService): Promise<string> {
  const limit = new AbortController();
  const timer = setTimeout(
    () =>
      limit.abort(
        new EnkashAuthError('timeout', tokenWaitLimitReached(TOKEN_WAIT_LIMIT_MS), {
          retryable: true,
        }),
      ),
    TOKEN_WAIT_LIMIT_MS,
  );
  try {
    return await auth.getAccessToken({ signal: limit.signal });
  } finally {
    clearTimeout(timer);
  }
}
