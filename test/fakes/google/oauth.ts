// Google's token endpoint (POST https://oauth2.googleapis.com/token) for a service account: the caller
// signs a JWT with the account's private key (RS256) and trades it for an access token.
// https://developers.google.com/identity/protocols/oauth2/service-account#httprest
// The fake checks what Google checks: the signature against the account's public key, iss, aud, exp, and
// that the scope allows Sheets. An OAuth2 refresh token given to the fake is honoured too.
import { createPublicKey, generateKeyPairSync, randomBytes, verify } from 'node:crypto';

const TOKEN_URL = 'https://oauth2.googleapis.com/token';
const SHEETS_SCOPE = 'https://www.googleapis.com/auth/spreadsheets';

export interface TokenAnswer {
	status: number;
	body: Record<string, unknown>;
}

export class FakeGoogleOAuth {
	readonly serviceAccount: { email: string; privateKey: string };
	private readonly publicKey: ReturnType<typeof createPublicKey>;
	private readonly issued = new Set<string>();
	private readonly refreshTokens = new Set<string>();

	constructor() {
		const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
		this.publicKey = publicKey;
		this.serviceAccount = {
			email: 'kefu-export@kefu-test.iam.gserviceaccount.com',
			privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
		};
	}

	/** An OAuth2 refresh token the endpoint will trade for access tokens (grant_type=refresh_token). */
	acceptRefreshToken(token: string): void {
		this.refreshTokens.add(token);
	}

	/** Whether `Authorization: Bearer <token>` carries a token this endpoint issued. */
	isIssued(token: string): boolean {
		return this.issued.has(token);
	}

	token(form: URLSearchParams): TokenAnswer {
		const grant = form.get('grant_type');
		if (grant === 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
			const refusal = this.checkAssertion(form.get('assertion') ?? '');
			if (refusal) return { status: 400, body: { error: 'invalid_grant', error_description: refusal } };
		} else if (grant === 'refresh_token') {
			if (!this.refreshTokens.has(form.get('refresh_token') ?? '')) {
				return { status: 400, body: { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' } };
			}
		} else {
			return { status: 400, body: { error: 'unsupported_grant_type', error_description: `Invalid grant_type: ${grant ?? ''}` } };
		}
		const accessToken = `ya29.fake-${randomBytes(12).toString('hex')}`;
		this.issued.add(accessToken);
		return { status: 200, body: { access_token: accessToken, token_type: 'Bearer', expires_in: 3599 } };
	}

	/** Why Google would refuse this JWT, or undefined when it is good. */
	private checkAssertion(assertion: string): string | undefined {
		const parts = assertion.split('.');
		if (parts.length !== 3) return 'Invalid JWT: Token must be a short-lived token and in a reasonable timeframe.';
		const [header, payload, signature] = parts;
		const signed = verify('RSA-SHA256', Buffer.from(`${header}.${payload}`), this.publicKey, Buffer.from(signature, 'base64url'));
		if (!signed) return 'Invalid JWT Signature.';
		const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
		if (claims.iss !== this.serviceAccount.email) return 'Invalid JWT: the issuer is not this service account.';
		if (claims.aud !== TOKEN_URL) return 'Invalid JWT: the audience is not the token endpoint.';
		const now = Math.floor(Date.now() / 1000);
		if (typeof claims.exp !== 'number' || claims.exp < now || claims.exp > now + 3600 + 60) {
			return 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.';
		}
		if (!String(claims.scope ?? '').split(' ').includes(SHEETS_SCOPE)) return 'Invalid JWT: the scope does not allow Google Sheets.';
		return undefined;
	}
}
