// A multipart/form-data reader for the fakes (RFC 7578): enough for what clients send to a media upload.
// WeCom's own example part header is `Content-Disposition: form-data; name="media";filename="wework.txt";
// filelength=6` (doc 90253); browsers and undici send `filename*=` only for non-ASCII names, if at all.

export interface MultipartPart {
	name: string;
	filename?: string;
	contentType?: string;
	size: number;
	data: Buffer;
}

/** The boundary of a multipart/form-data Content-Type, or undefined for any other body. */
export function multipartBoundary(contentType: string): string | undefined {
	if (!/^multipart\/form-data/i.test(contentType)) return undefined;
	const match = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
	return match ? (match[1] ?? match[2]).trim() : undefined;
}

export function parseMultipart(raw: Buffer, boundary: string): MultipartPart[] {
	const parts: MultipartPart[] = [];
	const first = Buffer.from(`--${boundary}`);
	const next = Buffer.from(`\r\n--${boundary}`);
	let position = raw.indexOf(first);
	if (position === -1) return parts;
	position += first.length;
	for (;;) {
		// After a delimiter: "--" closes the body, CRLF opens a part.
		if (raw[position] === 0x2d && raw[position + 1] === 0x2d) break;
		if (raw[position] === 0x0d && raw[position + 1] === 0x0a) position += 2;
		const end = raw.indexOf(next, position);
		if (end === -1) break;
		const part = raw.subarray(position, end);
		const headerEnd = part.indexOf('\r\n\r\n');
		if (headerEnd !== -1) {
			const headers = parseHeaders(part.subarray(0, headerEnd).toString('utf8'));
			const disposition = parseParams(headers['content-disposition'] ?? '');
			const data = part.subarray(headerEnd + 4);
			parts.push({
				name: disposition.name ?? '',
				...(disposition.filename === undefined ? {} : { filename: disposition.filename }),
				...(headers['content-type'] === undefined ? {} : { contentType: headers['content-type'] }),
				size: data.length,
				data,
			});
		}
		position = end + next.length;
	}
	return parts;
}

function parseHeaders(text: string): Record<string, string> {
	const headers: Record<string, string> = {};
	for (const line of text.split('\r\n')) {
		const colon = line.indexOf(':');
		if (colon > 0)
			headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
	}
	return headers;
}

/** `form-data; name="media";filename="a.jpg"; filename*=UTF-8''%E5%9B%BE.jpg` → { name, filename }. */
function parseParams(header: string): Record<string, string> {
	const params: Record<string, string> = {};
	for (const match of header.matchAll(/;\s*([\w*.-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/g)) {
		const key = match[1].toLowerCase();
		let value = match[2].trim();
		if (value.startsWith('"')) value = value.slice(1, -1).replace(/\\(.)/g, '$1');
		if (key.endsWith('*')) {
			const encoded = /^[\w-]*'[\w-]*'(.*)$/.exec(value);
			params[key.slice(0, -1)] = decodeURIComponent(encoded ? encoded[1] : value);
		} else if (params[key] === undefined) {
			params[key] = value;
		}
	}
	return params;
}
