// Where the token engine's unit specs point it: an EnKash that the scripted token client stands in for.

/** The registration of the unit specs: EnKash's UAT host and credentials of no one. */
export const UNIT_REGISTRATION = {
  baseUrl: 'https://ekpayout-uat.enkash.in',
  clientId: 'client',
  clientSecret: 'secret',
  username: 'user@example.com',
  password: 'password',
} as const;
