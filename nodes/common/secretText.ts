/**
 * Removes secrets from text before it can reach an error: `name=value` in a URL or query and
 * `"name": "value"` in JSON (also when the answer breaks off inside the value), for each of a platform's
 * secret names; and every occurrence of the given values (the token and secret a request carried), as is
 * or URL-encoded, for text such as a proxy's page that repeats them in a form the patterns do not catch.
 * Pure, no n8n imports; each platform's transport makes its own with its names.
 */

/** Shorter values are not searched for: they could match ordinary text, and no token or secret is that short. */
const MIN_SECRET_CHARS = 8;

export function secretStripper(names: readonly string[]): (text: string, values?: readonly string[]) => string {
	const query = new RegExp(`\\b(${names.join('|')})=[^&\\s"'#]*`, 'gi');
	const json = new RegExp(`"(${names.join('|')})"(\\s*):(\\s*)"[^"]*"?`, 'gi');
	return (text, values = []) => {
		let safe = text.replace(query, '$1=***').replace(json, '"$1"$2:$3"***"');
		for (const value of values) {
			if (value.length < MIN_SECRET_CHARS) continue;
			for (const form of new Set([value, encodeURIComponent(value)])) safe = safe.split(form).join('***');
		}
		return safe;
	};
}
