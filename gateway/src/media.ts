// Media for /send: base64 from the caller, or a URL the gateway downloads. whatsapp-web.js's own
// MessageMedia.fromUrl has no timeout and no size limit, and a gateway that fetches any URL it is given
// is a way into the private network it runs in; hence our own download with both limits, and private,
// loopback and link-local addresses refused (checked on the resolved address, at every redirect) unless
// the operator allows them.

import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP } from 'node:net';
import path from 'node:path';
import type { WaMedia } from './client/port';

export interface MediaLimits {
	maxBytes: number;
	timeoutMs: number;
	allowPrivateUrls: boolean;
}

export class MediaError extends Error {
	constructor(
		readonly code: 'bad_request' | 'too_large' | 'timeout' | 'media_unreachable',
		message: string,
	) {
		super(message);
	}
}

const privateRanges = new BlockList();
for (const [net, prefix] of [
	['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16],
	['172.16.0.0', 12], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) privateRanges.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) {
	privateRanges.addSubnet(net, prefix, 'ipv6');
}

export function isPrivateAddress(address: string): boolean {
	const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
	if (mapped) return privateRanges.check(mapped[1], 'ipv4');
	return privateRanges.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
}

export function mediaFromBase64(input: { base64?: unknown; mimetype?: unknown; filename?: unknown }, limits: MediaLimits): WaMedia {
	if (typeof input.base64 !== 'string' || input.base64 === '') throw new MediaError('bad_request', 'media.base64 must be a non-empty string.');
	if (typeof input.mimetype !== 'string' || !/^[\w.+-]+\/[\w.+-]+$/.test(input.mimetype)) {
		throw new MediaError('bad_request', 'media.mimetype is required with media.base64, e.g. "image/png".');
	}
	const data = input.base64.replace(/^data:[^,]*,/, '').replace(/\s/g, '');
	if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data)) throw new MediaError('bad_request', 'media.base64 is not valid base64.');
	if (Math.floor((data.length * 3) / 4) > limits.maxBytes) throw tooLarge(limits);
	return { data, mimetype: input.mimetype, filename: typeof input.filename === 'string' ? input.filename : undefined };
}

function tooLarge(limits: MediaLimits): MediaError {
	return new MediaError('too_large', `The media is larger than the gateway's limit of ${limits.maxBytes} bytes (--max-media-bytes).`);
}

export async function mediaFromUrl(input: { url?: unknown; mimetype?: unknown; filename?: unknown }, limits: MediaLimits): Promise<WaMedia> {
	let url: URL;
	try {
		url = new URL(String(input.url));
	} catch {
		throw new MediaError('bad_request', 'media.url is not a valid URL.');
	}
	const deadline = AbortSignal.timeout(limits.timeoutMs);
	const { body, contentType, finalUrl } = await download(url, limits, deadline, 0);
	const mimetype = typeof input.mimetype === 'string' ? input.mimetype : (contentType?.split(';')[0].trim() || 'application/octet-stream');
	const filename = typeof input.filename === 'string' ? input.filename : path.basename(finalUrl.pathname) || undefined;
	return { data: body.toString('base64'), mimetype, filename };
}

async function download(url: URL, limits: MediaLimits, signal: AbortSignal, redirects: number): Promise<{ body: Buffer; contentType?: string; finalUrl: URL }> {
	if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new MediaError('bad_request', 'media.url must be http or https.');
	const refusal = new MediaError('bad_request', 'media.url points at a private or loopback address; the gateway refuses those unless started with --allow-private-media-urls.');
	// Node does not call `lookup` for an address literal, so a literal is checked here.
	const literal = url.hostname.replace(/^\[|\]$/g, '');
	if (!limits.allowPrivateUrls && isIP(literal) && isPrivateAddress(literal)) throw refusal;
	const lookup = (hostname: string, options: object, callback: (...args: any[]) => void) => {
		dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
			if (error) return callback(error);
			const refused = !limits.allowPrivateUrls && addresses.some((a) => isPrivateAddress(a.address));
			if (refused) return callback(refusal);
			const wantsAll = (options as { all?: boolean }).all;
			return wantsAll ? callback(null, addresses) : callback(null, addresses[0].address, addresses[0].family);
		});
	};
	return new Promise((resolve, reject) => {
		const get = url.protocol === 'https:' ? https.get : http.get;
		const request = get(url, { lookup, signal, headers: { 'user-agent': 'kefu-whatsapp-gateway' } }, (response) => {
			const status = response.statusCode ?? 0;
			if (status >= 300 && status < 400 && response.headers.location) {
				response.resume();
				if (redirects >= 3) return reject(new MediaError('media_unreachable', 'media.url redirects too often.'));
				return resolve(download(new URL(response.headers.location, url), limits, signal, redirects + 1));
			}
			if (status !== 200) {
				response.resume();
				return reject(new MediaError('media_unreachable', `media.url answered HTTP ${status}.`));
			}
			if (Number(response.headers['content-length'] ?? 0) > limits.maxBytes) {
				response.destroy();
				return reject(tooLarge(limits));
			}
			const chunks: Buffer[] = [];
			let size = 0;
			response.on('data', (chunk: Buffer) => {
				size += chunk.length;
				if (size > limits.maxBytes) {
					response.destroy();
					reject(tooLarge(limits));
				} else chunks.push(chunk);
			});
			response.on('end', () => resolve({ body: Buffer.concat(chunks), contentType: response.headers['content-type'], finalUrl: url }));
			response.on('error', (error) => reject(wrap(error, signal)));
		});
		request.on('error', (error) => reject(wrap(error, signal)));
	});
}

function wrap(error: Error, signal: AbortSignal): MediaError {
	if (error instanceof MediaError) return error;
	if (signal.aborted) return new MediaError('timeout', 'Downloading media.url took longer than the gateway allows (--media-timeout-ms).');
	return new MediaError('media_unreachable', `media.url could not be downloaded: ${error.message}`);
}
