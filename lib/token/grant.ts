/** The two OAuth2 grants the engine sends to EnKash's token endpoint. */
export type GrantType = 'password' | 'refresh_token';

/** Where a token came from: one of the grants, or the shared token store (another instance obtained it). */
export type TokenSource = GrantType | 'store';
