import type { IExecuteFunctions, IDataObject, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { TEXT_LIMITS } from '../../common/channels';
import { truncateUtf8 } from '../../common/text';
import type { MediaFile } from '../transport';
import { MAX_RETRIES, retriesFrom } from '../transport/retry';

/**
 * Fields that several resources of the WeCom node share, each with the function that reads it for an
 * item. What only one resource uses stays in its folder (message/common.ts, kfMessage/menu.ts, kf/).
 */

/** A required text parameter, trimmed; a clear error when an expression resolved to nothing. */
export function requiredText(this: IExecuteFunctions, itemIndex: number, name: string, label: string): string {
	const value = String(this.getNodeParameter(name, itemIndex, '') ?? '').trim();
	if (!value) {
		throw new NodeOperationError(this.getNode(), `${label} is empty`, {
			description: `Fill in ${label}, or map the field that holds it (the default reads it from the input item).`,
			itemIndex,
		});
	}
	return value;
}

/** IDs typed by a person or mapped from an expression (string, number or array) → "a|b|c". */
export function joinIds(value: unknown): string {
	const parts = Array.isArray(value) ? value.map((part) => String(part)) : String(value ?? '').split(/[|,，;\s]+/);
	return parts
		.map((part) => part.trim())
		.filter((part) => part.length > 0)
		.join('|');
}

export function binaryPropertyField(what: string): INodeProperties {
	return {
		displayName: 'Input Binary Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		hint: 'The name of the input binary field containing the file to be uploaded',
		description: `Binary field of the input item that holds the ${what} (e.g. from HTTP Request or Read/Write Files from Disk)`,
	};
}

/** The file in the item's binary field, with its name and MIME type. */
export async function binaryFileOf(this: IExecuteFunctions, itemIndex: number): Promise<MediaFile> {
	const propertyName = this.getNodeParameter('binaryPropertyName', itemIndex, 'data') as string;
	const binary = this.helpers.assertBinaryData(itemIndex, propertyName);
	const data = await this.helpers.getBinaryDataBuffer(itemIndex, propertyName);
	return { data, fileName: binary.fileName, mimeType: binary.mimeType };
}

/** Text and markdown content, in app messages and kf messages alike. */
const MAX_CONTENT_BYTES = TEXT_LIMITS.weCom.max;

export const contentFields = (kind: 'text' | 'markdown'): INodeProperties[] => [
	{
		displayName: 'Content',
		name: 'content',
		type: 'string',
		typeOptions: { rows: 4 },
		default: '',
		required: true,
		description:
			kind === 'text'
				? `The text to send, at most ${MAX_CONTENT_BYTES} bytes (about 680 Chinese characters). Line breaks and &lt;a href="…"&gt;links&lt;/a&gt; are kept.`
				: `Markdown to send (WeCom supports a subset: headings, bold, links, quotes, &lt;font color="info|comment|warning"&gt;), at most ${MAX_CONTENT_BYTES} bytes. Not shown in 微工作台.`,
	},
	{
		displayName: 'Truncate Long Content',
		name: 'truncate',
		type: 'boolean',
		default: true,
		description: `Whether to cut content longer than ${MAX_CONTENT_BYTES} bytes at a character boundary (and say so in the output) instead of failing`,
	},
];

/** The content of a text or markdown message, cut to WeCom's limit when Truncate is on. */
export function contentOf(this: IExecuteFunctions, itemIndex: number): { content: string; notice?: IDataObject } {
	const content = String(this.getNodeParameter('content', itemIndex, ''));
	if (content.trim() === '') {
		throw new NodeOperationError(this.getNode(), 'The message content is empty', {
			description: 'Fill in Content, or map a field that holds the text.',
			itemIndex,
		});
	}
	const bytes = Buffer.byteLength(content, 'utf8');
	if (bytes <= MAX_CONTENT_BYTES) return { content };
	const truncate = this.getNodeParameter('truncate', itemIndex, true) as boolean;
	if (!truncate) {
		throw new NodeOperationError(
			this.getNode(),
			`The content is ${bytes} bytes; WeCom accepts at most ${MAX_CONTENT_BYTES} bytes (UTF-8)`,
			{ description: 'Shorten it, split it over several messages, or turn on Truncate Long Content.', itemIndex },
		);
	}
	const cut = truncateUtf8(content, MAX_CONTENT_BYTES);
	this.addExecutionHints({
		message: `Content was cut from ${bytes} to ${Buffer.byteLength(cut, 'utf8')} bytes, WeCom's limit.`,
		type: 'info',
		location: 'outputPane',
	});
	return { content: cut, notice: { truncated: true, originalBytes: bytes } };
}

/** The send option "Retries After a Transient Error" (read with retriesOf). */
export function retriesOption(sameMessage: string): INodeProperties {
	return {
		displayName: 'Retries After a Transient Error',
		name: 'retries',
		type: 'number',
		typeOptions: { minValue: 0, maxValue: MAX_RETRIES },
		default: MAX_RETRIES,
		description: `How often to send again when WeCom answers -1 (system busy) or 45033, or its answer does not arrive (a network error, a time-out, an HTTP 5xx from WeCom or a proxy, an answer cut short): after 1 s, then 3 s. ${sameMessage} Other errors fail at once.`,
	};
}

export function retriesOf(this: IExecuteFunctions, itemIndex: number): number {
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	return retriesFrom(options.retries);
}
