// OAuth2 client credentials from the client's side, for tests of a token endpoint: the
// `client_secret_basic` header and the token request.

/** `Authorization: Basic` for client_secret_basic (RFC 6749 §2.3.1: form-encode, join, base64). */
export function basic(id: string, secret: string): string {
  const encode = (value: string): string => new URLSearchParams({ v: value }).toString().slice(2)
  return `Basic ${Buffer.from(`${encode(id)}:${encode(secret)}`).toString('base64')}`
}

/** POST `<url>/oauth/token` with a client_credentials grant (or `body`) and `authorization`. */
export function tokenRequest(
  url: string,
  authorization: string | undefined,
  body = 'grant_type=client_credentials',
): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' }
  if (authorization !== undefined) headers['authorization'] = authorization
  return fetch(`${url}/oauth/token`, { method: 'POST', headers, body })
}
