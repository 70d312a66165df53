import 'reflect-metadata';
import { describe, expect, it, jest } from '@jest/globals';
import { HttpException } from '@nestjs/common';
import type { CallHandler, ContextType, ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { HttpAdapterHost, ModuleRef } from '@nestjs/core';
import { lastValueFrom, of } from 'rxjs';
import type { EnkashAuthService } from '../enkash-auth.service.js';
import { EnkashAuthError } from '../errors/enkash-auth.error.js';
import { EnkashAuthInterceptor } from './enkash-auth.interceptor.js';

// The HTTP behaviour is specified end to end in test/enkash-auth-interceptor.e2e-spec.ts; these are the cases
// an HTTP application cannot show: other transports, and no HTTP adapter at all.

/** A token service that holds no token and answers `outcome`, with a retry scheduled in 2 seconds. */
function tokenService(outcome: string | Error): EnkashAuthService {
  return {
    getCachedAccessToken: () => undefined,
    getAccessToken: () =>
      typeof outcome === 'string' ? Promise.resolve(outcome) : Promise.reject(outcome),
    getStatus: () => ({ nextRetryAt: new Date(Date.now() + 2_000), nextRenewalAt: null }),
    registrationName: 'default',
  } as unknown as EnkashAuthService;
}

/** The interceptor in an application whose only registration is `auth`. */
function interceptorOver(auth: EnkashAuthService, host?: HttpAdapterHost): EnkashAuthInterceptor {
  const moduleRef = { get: () => auth } as unknown as ModuleRef;
  return new EnkashAuthInterceptor(moduleRef, new Reflector(), host);
}

/** An execution context of the given transport whose first two arguments are `first` and `second`. */
function contextOf(type: ContextType, first: object, second: object): ExecutionContext {
  return {
    getType: () => type,
    getArgs: () => [first, second],
    switchToHttp: () => ({ getRequest: () => first, getResponse: () => second }),
    getHandler: () => function handler() {},
    getClass: () => class Handlers {},
  } as unknown as ExecutionContext;
}

function adapterHost() {
  const setHeader = jest.fn();
  return { host: { httpAdapter: { setHeader } } as unknown as HttpAdapterHost, setHeader };
}

function handler() {
  const handle = jest.fn(() => of('handled'));
  return { next: { handle } as CallHandler, handle };
}

const serverError = () => new EnkashAuthError('server_error', 'internal', { retryable: true });

describe('EnkashAuthInterceptor outside HTTP', () => {
  it('rethrows the EnkashAuthError as it is for a microservice or WebSocket handler, which never runs', async () => {
    const { host, setHeader } = adapterHost();
    const failure = serverError();
    const interceptor = interceptorOver(tokenService(failure), host);
    const { next, handle } = handler();

    for (const type of ['rpc', 'ws'] as const) {
      await expect(interceptor.intercept(contextOf(type, {}, {}), next)).rejects.toBe(failure);
    }
    expect(handle).not.toHaveBeenCalled();
    expect(setHeader).not.toHaveBeenCalled();
  });

  it("lets a microservice handler run once a token is held, without writing on the message's data", async () => {
    const { host } = adapterHost();
    const interceptor = interceptorOver(tokenService('tok-123'), host);
    const { next, handle } = handler();
    const data = { orderId: 'A1' };

    const result = await interceptor.intercept(contextOf('rpc', data, {}), next);

    expect(await lastValueFrom(result)).toBe('handled');
    expect(handle).toHaveBeenCalledTimes(1);
    expect(data).toEqual({ orderId: 'A1' });
  });
});

describe('EnkashAuthInterceptor over HTTP', () => {
  it('sets Retry-After through the HTTP adapter, in whole seconds', async () => {
    const { host, setHeader } = adapterHost();
    const interceptor = interceptorOver(tokenService(serverError()), host);
    const response = {};

    await expect(
      interceptor.intercept(contextOf('http', {}, response), handler().next),
    ).rejects.toBeInstanceOf(HttpException);
    expect(setHeader).toHaveBeenCalledWith(response, 'Retry-After', '2');
  });

  it('still answers 503 when no HTTP adapter can be injected', async () => {
    const interceptor = interceptorOver(tokenService(serverError()));
    const rejection = interceptor.intercept(contextOf('http', {}, {}), handler().next);
    await expect(rejection).rejects.toBeInstanceOf(HttpException);
    await expect(rejection).rejects.toMatchObject({ status: 503 });
  });

  it('rethrows any other error as it is, for Nest to answer 500', async () => {
    const { host, setHeader } = adapterHost();
    const bug = new TypeError('a bug');
    const interceptor = interceptorOver(tokenService(bug), host);

    await expect(interceptor.intercept(contextOf('http', {}, {}), handler().next)).rejects.toBe(
      bug,
    );
    expect(setHeader).not.toHaveBeenCalled();
  });
});

describe('EnkashAuthInterceptor with a token held', () => {
  it('hands the held token to the handler without asking for one or arming a timer', async () => {
    jest.useFakeTimers();
    try {
      const auth = {
        ...tokenService(serverError()),
        getCachedAccessToken: () => 'held-token',
        getAccessToken: jest.fn(() => Promise.reject(new Error('not to be asked'))),
      } as unknown as EnkashAuthService;
      const interceptor = interceptorOver(auth, adapterHost().host);
      const { next, handle } = handler();
      const request: { enkash?: string } = {};

      await interceptor.intercept(contextOf('http', request, {}), next);

      expect(request.enkash).toBe('held-token');
      expect(handle).toHaveBeenCalledTimes(1);
      expect(
        (auth as unknown as { getAccessToken: jest.Mock }).getAccessToken,
      ).not.toHaveBeenCalled();
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });
});
