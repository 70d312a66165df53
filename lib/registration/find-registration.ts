import type { ModuleRef } from '@nestjs/core';
import { EnkashAuthService } from '../enkash-auth.service.js';
import { unknownRegistration } from '../enkash-auth.messages.js';
import { EnkashAuthError } from '../errors/enkash-auth.error.js';

/**
 * The {@link EnkashAuthService} of registration `name`, wherever in the application it was registered. Looked up by
 * the service's own name rather than by injection token: every registration holds an `EnkashAuthService` under the
 * class token inside its module, and a non-strict lookup of that token could return a named one.
 *
 * @throws EnkashAuthError `config` when the application has no such registration.
 */
export function findEnkashRegistration(moduleRef: ModuleRef, name: string): EnkashAuthService {
  const found = moduleRef
    .get(EnkashAuthService, { strict: false, each: true })
    .find((service) => service.registrationName === name);
  if (found === undefined) throw new EnkashAuthError('config', unknownRegistration(name));
  return found;
}
