// EnKash's token request as an integrator writes it by hand, for the clients the library is compared with.
import type { AxiosInstance } from 'axios';
import type { SimulatorCredentials } from '../support/remote-simulator.js';

/** The token answer's fields the alternative clients use. */
export interface TokenAnswer {
  accessToken: string;
  refreshToken: string | undefined;
}

/** `POST /oauth/token` with HTTP Basic client credentials and a form body; the password grant unless `refreshToken`. */
export async function requestToken(
  http: AxiosInstance,
  credentials: SimulatorCredentials,
  refreshToken?: string,
): Promise<TokenAnswer> {
  const form = new URLSearchParams(
    refreshToken === undefined
      ? {
          username: credentials.username,
          password: credentials.password,
          grant_type: 'password',
          clientId: credentials.clientId,
        }
      : {
          refresh_token: refreshToken,
          grant_type: 'refresh_token',
          clientId: credentials.clientId,
        },
  );
  const answer = await http.post<{ access_token: string; refresh_token?: string }>(
    '/oauth/token',
    form,
    { auth: { username: credentials.clientId, password: credentials.clientSecret } },
  );
  return { accessToken: answer.data.access_token, refreshToken: answer.data.refresh_token };
}
