import { Inject, SetMetadata } from '@nestjs/common';
import type { CustomDecorator } from '@nestjs/common';
import { ENKASH_ACCOUNT_METADATA } from '../enkash-auth.constants.js';
import { getEnkashAuthToken, getEnkashHttpToken } from './enkash-registration.tokens.js';

/**
 * Injects the {@link EnkashAuthService} of registration `name` (the unnamed one when `name` is left out).
 *
 * @example
 * constructor(@InjectEnkashAuth('cards') private readonly cardsAuth: EnkashAuthService) {}
 */
export function InjectEnkashAuth(name?: string): PropertyDecorator & ParameterDecorator {
  return Inject(getEnkashAuthToken(name));
}

/**
 * Injects the {@link EnkashHttpService} of registration `name` (the unnamed one when `name` is left out).
 *
 * @example
 * constructor(@InjectEnkashHttp('cards') private readonly cards: EnkashHttpService) {}
 */
export function InjectEnkashHttp(name?: string): PropertyDecorator & ParameterDecorator {
  return Inject(getEnkashHttpToken(name));
}

/**
 * Which registration's token `EnkashAuthInterceptor` guarantees for a controller or a route; without it, the unnamed
 * registration's. A route's decorator wins over its controller's.
 *
 * @example
 * @UseEnkashAccount('cards')
 * @UseInterceptors(EnkashAuthInterceptor)
 * @Controller('cards')
 * export class CardsController {}
 */
export function UseEnkashAccount(name: string): CustomDecorator<typeof ENKASH_ACCOUNT_METADATA> {
  return SetMetadata(ENKASH_ACCOUNT_METADATA, name);
}
