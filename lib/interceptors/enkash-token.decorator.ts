import { createParamDecorator } from '@nestjs/common';
import type { ExecutionContext } from '@nestjs/common';
import { enkashTokenWithoutInterceptor } from '../enkash-auth.messages.js';
import type { EnkashAuthenticatedRequest } from '../interfaces/enkash-authenticated-request.interface.js';

/**
 * The EnKash access token that `EnkashAuthInterceptor` obtained for this request, as a handler parameter.
 * For code that calls EnKash with a client of its own; `EnkashHttpService` needs no token passed to it.
 *
 * @example
 * @UseInterceptors(EnkashAuthInterceptor)
 * @Get('statement')
 * statement(@EnkashToken() token: string) { ... }
 */
export const EnkashToken: () => ParameterDecorator = createParamDecorator(
  (_data: unknown, context: ExecutionContext): string => {
    const request = context.switchToHttp().getRequest<Partial<EnkashAuthenticatedRequest>>();
    // A programming error, not an EnKash one: silently passing `undefined` would send an unauthenticated call.
    if (typeof request.enkash !== 'string') throw new Error(enkashTokenWithoutInterceptor());
    return request.enkash;
  },
);
