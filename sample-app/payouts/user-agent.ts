/** EnKash's Payouts API requires a `User-Agent` header; naming the app helps EnKash support find its calls. */
export const ENKASH_USER_AGENT = 'nestjs-enkash-auth-sample/0.1';
