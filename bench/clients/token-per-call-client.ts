// The naive client: a password grant before every call. EnKash answers a password grant with the token it already
// holds while that one is valid, so calls keep working; the price is a token request per call.
import axios from 'axios';
import type { AxiosInstance, AxiosResponse } from 'axios';
import type { SimulatorCredentials } from '../support/remote-simulator.js';
import { requestToken } from './token-request.js';

/** Fetches a token for every call. */
export class TokenPerCallClient {
  private readonly http: AxiosInstance;

  constructor(
    baseUrl: string,
    private readonly credentials: SimulatorCredentials,
  ) {
    this.http = axios.create({ baseURL: baseUrl });
  }

  /** GET `path` with a token fetched for it. */
  async get(path: string): Promise<AxiosResponse> {
    const { accessToken } = await requestToken(this.http, this.credentials);
    return this.http.get(path, { headers: { Authorization: `Bearer ${accessToken}` } });
  }
}
