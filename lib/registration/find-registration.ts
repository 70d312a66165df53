import type { ModuleRef } from '@nestjs/core';
import type { EnkashAuthService } from '../enkash-auth.service.js';
import { unknownRegistration } from '../enkash-auth.messages.js';
import { EnkashAuthError } from '../errors/enkash-auth.error.js';
import { getEnkashAuthToken } from './enkash-registration.tokens.js';

/**
 * The {@link EnkashAuthService} of the registration named `registrationName`, wherever in the application it was
 * registered (a test's override of it included).
 *
 * @throws EnkashAuthError `config` when the application has no such registration.
 */
export function findEnkashRegistration(
  moduleRef: ModuleRef,
  registrationName: string,
): EnkashAuthService {
  try {
    return moduleRef.get<EnkashAuthService>(getEnkashAuthToken(registrationName), {
      strict: false,
    });
  } catch {
    // Nest's own error names the token only; ours says how to add the registration.
    throw new EnkashAuthError('config', unknownRegistration(registrationName));
  }
}
