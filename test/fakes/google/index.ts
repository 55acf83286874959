// A loopback fake of Google for the built-in Google Sheets node in a real n8n: no request leaves 127.0.0.1.
//   server.ts  the proxy (CONNECT to Google's hosts only) and TLS with a CA made at test time
//   tls.ts     the CA and leaf certificate (openssl, temp folder)
//   oauth.ts   the token endpoint: service-account JWTs (RS256) and OAuth2 refresh tokens
//   sheets.ts  the Sheets API v4 calls of Append, Append or Update, Update and Get Rows
//   a1.ts      Google's A1 range notation
// Like the other fakes, it never imports the product: it follows Google's documentation.
export { GOOGLE_HOSTS, startFakeGoogleSheets } from './server';
export type { FakeGoogleRequest, FakeGoogleSheets } from './server';
