import { Inject, SetMetadata } from '@nestjs/common';
import type { CustomDecorator } from '@nestjs/common';
import { ENKASH_REGISTRATION_METADATA } from '../enkash-auth.constants.js';
import { getEnkashAuthToken, getEnkashHttpToken } from './enkash-registration.tokens.js';

/**
 * Injects the {@link EnkashAuthService} of the registration named `registrationName` (the unnamed one when it is left
 * out).
 *
 * @example
 * constructor(@InjectEnkashAuth('cards') private readonly cardsAuth: EnkashAuthService) {}
 */
export function InjectEnkashAuth(
  registrationName?: string,
): PropertyDecorator & ParameterDecorator {
  return Inject(getEnkashAuthToken(registrationName));
}

/**
 * Injects the {@link EnkashHttpService} of the registration named `registrationName` (the unnamed one when it is left
 * out).
 *
 * @example
 * constructor(@InjectEnkashHttp('cards') private readonly cards: EnkashHttpService) {}
 */
export function InjectEnkashHttp(
  registrationName?: string,
): PropertyDecorator & ParameterDecorator {
  return Inject(getEnkashHttpToken(registrationName));
}

/**
 * Which registration's token `EnkashAuthInterceptor` guarantees for a controller or a route; without it, the unnamed
 * registration's. A route's decorator wins over its controller's.
 *
 * @example
 * @UseEnkashRegistration('cards')
 * @UseInterceptors(EnkashAuthInterceptor)
 * @Controller('cards')
 * export class CardsController {}
 */
export function UseEnkashRegistration(
  registrationName: string,
): CustomDecorator<typeof ENKASH_REGISTRATION_METADATA> {
  return SetMetadata(ENKASH_REGISTRATION_METADATA, registrationName);
}
