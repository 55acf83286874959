import { randomBytes } from 'node:crypto';

/**
 * media/upload rules and the multipart body it expects (doc 90253): field name `media`, with
 * filename, filelength and content-type. Pure logic, no n8n imports.
 */

export type WeComMediaType = 'image' | 'voice' | 'video' | 'file';

export const MEDIA_TYPES: readonly WeComMediaType[] = ['image', 'voice', 'video', 'file'];

const MB = 1024 * 1024;

interface MediaRule {
	maxBytes: number;
	/** Accepted file extensions, lower case, without the dot; empty = any. */
	extensions: string[];
	mimeTypes: string[];
	label: string;
}

/** Sizes and formats WeCom accepts; every file must also be larger than 5 bytes. */
export const MEDIA_RULES: Readonly<Record<WeComMediaType, MediaRule>> = {
	image: {
		maxBytes: 10 * MB,
		extensions: ['jpg', 'jpeg', 'png'],
		mimeTypes: ['image/jpeg', 'image/png'],
		label: 'images as JPG or PNG of at most 10 MB',
	},
	voice: { maxBytes: 2 * MB, extensions: ['amr'], mimeTypes: ['audio/amr'], label: 'voice as AMR of at most 2 MB and 60 seconds' },
	video: { maxBytes: 10 * MB, extensions: ['mp4'], mimeTypes: ['video/mp4'], label: 'video as MP4 of at most 10 MB' },
	file: { maxBytes: 20 * MB, extensions: [], mimeTypes: [], label: 'files of any format up to 20 MB' },
};

export const MIN_MEDIA_BYTES = 6;

export interface MediaFile {
	data: Buffer;
	fileName?: string;
	mimeType?: string;
}

function extensionOf(fileName: string | undefined): string {
	const match = /\.([A-Za-z0-9]+)$/.exec(fileName ?? '');
	return match ? match[1].toLowerCase() : '';
}

function formatSize(bytes: number): string {
	return bytes >= MB ? `${(bytes / MB).toFixed(1)} MB (${bytes} bytes)` : `${bytes} bytes`;
}

/** Why WeCom would refuse this file, in words for the operator; undefined if it is acceptable. */
export function mediaProblem(type: WeComMediaType, file: MediaFile): string | undefined {
	const rule = MEDIA_RULES[type];
	const size = file.data.length;
	if (size < MIN_MEDIA_BYTES) {
		return `The file is ${size} bytes; WeCom only accepts media larger than 5 bytes.`;
	}
	if (size > rule.maxBytes) {
		return `The file is ${formatSize(size)}; WeCom accepts ${rule.label}.`;
	}
	if (rule.extensions.length > 0) {
		const extension = extensionOf(file.fileName);
		const mimeType = (file.mimeType ?? '').toLowerCase().split(';')[0].trim();
		if (!rule.extensions.includes(extension) && !rule.mimeTypes.includes(mimeType)) {
			const what = [file.fileName, file.mimeType].filter(Boolean).join(', ') || 'unknown format';
			return `The file (${what}) is not in a format WeCom accepts as ${type}: it takes ${rule.label}.`;
		}
	}
	return undefined;
}

const EXTENSION_BY_MIME: Record<string, string> = {
	'image/jpeg': 'jpg',
	'image/png': 'png',
	'audio/amr': 'amr',
	'video/mp4': 'mp4',
};

/** A file name with an extension, so WeCom can tell the format; quotes and line breaks removed. */
export function uploadFileName(type: WeComMediaType, file: MediaFile): string {
	let name = (file.fileName ?? '').replace(/["\r\n\\]/g, '_').trim();
	if (!name) name = type;
	if (!extensionOf(name)) {
		const extension = EXTENSION_BY_MIME[(file.mimeType ?? '').toLowerCase()];
		if (extension) name = `${name}.${extension}`;
	}
	return name;
}

export interface MultipartBody {
	body: Buffer;
	contentType: string;
}

/** The multipart/form-data body of media/upload: one part named `media`. */
export function buildMediaMultipart(
	type: WeComMediaType,
	file: MediaFile,
	boundary = `----n8nWeCom${randomBytes(12).toString('hex')}`,
): MultipartBody {
	const fileName = uploadFileName(type, file);
	const mimeType = file.mimeType?.replace(/[\r\n]/g, '') || 'application/octet-stream';
	const head =
		`--${boundary}\r\n` +
		`Content-Disposition: form-data; name="media"; filename="${fileName}"; filelength=${file.data.length}\r\n` +
		`Content-Type: ${mimeType}\r\n\r\n`;
	const tail = `\r\n--${boundary}--\r\n`;
	return {
		body: Buffer.concat([Buffer.from(head, 'utf8'), file.data, Buffer.from(tail, 'utf8')]),
		contentType: `multipart/form-data; boundary=${boundary}`,
	};
}
