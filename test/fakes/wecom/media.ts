// Temporary media: media/upload [doc 90253], and which media_ids are still alive for the message APIs
// (app messages and kf both send media by media_id).
import { createHash, randomBytes } from 'node:crypto';

import { HOUR, type Answer, type Clock, type RequestContext, type Routes } from './platform';

export type FakeMediaType = 'image' | 'voice' | 'video' | 'file';

export interface FakeUploadedMedia {
	type: FakeMediaType;
	filename: string;
	size: number;
	contentType: string;
	media_id: string;
	sha256: string;
	time: number;
}

export interface FakeMediaApi {
	readonly uploadedMedia: FakeUploadedMedia[];
}

/** Bodies beyond this are counted, not kept: enough for the 20 MB file limit plus multipart framing. */
export const MAX_UPLOAD_BODY_BYTES = 21 * 1024 * 1024;
/** media_id "3天内有效" [doc 90253]. */
const MEDIA_TTL = 72 * HOUR;
/** Upload limits [doc 90253 "上传的媒体文件限制"]: "所有文件size必须大于5个字节"; image 10MB (older
 * copies of the page say 2MB), voice 2MB, video 10MB, file 20MB. */
const MEDIA_MAX_BYTES: Record<FakeMediaType, number> = {
	image: 10 * 1024 * 1024,
	voice: 2 * 1024 * 1024,
	video: 10 * 1024 * 1024,
	file: 20 * 1024 * 1024,
};
const MEDIA_MIN_BYTES = 6;
/** Errcode for a file over its type's limit [doc 90313]: 40009 上传图片大小不是有效值, 40011 上传视频大小
 * 不是有效值. Voice and file have no code of their own; the fake answers 40006 不合法的文件大小 (the code a
 * real voice upload over the limit got, "invalid media size", in public issue logs): a guess for file. */
const MEDIA_TOO_LARGE: Record<FakeMediaType, number> = {
	image: 40009,
	voice: 40006,
	video: 40011,
	file: 40006,
};

function isMediaType(value: unknown): value is FakeMediaType {
	return value === 'image' || value === 'voice' || value === 'video' || value === 'file';
}

export class FakeMedia implements FakeMediaApi {
	readonly uploadedMedia: FakeUploadedMedia[] = [];
	readonly routes: Routes = {
		'/cgi-bin/media/upload': { auth: true, handle: (c) => this.upload(c) },
	};
	private readonly byId = new Map<string, FakeUploadedMedia>();

	constructor(private readonly now: Clock) {}

	reset(): void {
		this.uploadedMedia.length = 0;
		this.byId.clear();
	}

	/** Issued by media/upload and younger than 3 days. */
	isLive(mediaId: string): boolean {
		const media = this.byId.get(mediaId);
		return media !== undefined && this.now() < media.time + MEDIA_TTL;
	}

	/** The errcode a message API gives for a media_id field, or undefined when it is alive: 41006 缺少
	 * media_id参数 when absent, 40007 不合法的媒体文件id when never issued or expired [doc 90313]. */
	mediaIdError(mediaId: unknown): Answer | undefined {
		if (typeof mediaId !== 'string' || mediaId === '') return { errcode: 41006 };
		return this.isLive(mediaId) ? undefined : { errcode: 40007 };
	}

	private upload({ query, multipart, bodySize, bodyKept }: RequestContext): Answer {
		const type = query.type;
		if (!isMediaType(type)) return { errcode: 40005 };
		// A body past MAX_UPLOAD_BODY_BYTES holds a file past every type's limit.
		if (!bodyKept && bodySize > MEDIA_MAX_BYTES[type]) return { errcode: MEDIA_TOO_LARGE[type] };
		// "使用multipart/form-data POST上传文件， 文件标识名为"media"", with filename [doc 90253]. Without it
		// WeCom finds no media: 44001 多媒体文件为空 (probe 2026-09-11: an empty `media` part → 44001).
		const part = multipart.find((candidate) => candidate.name === 'media' && candidate.filename !== undefined);
		const size = part?.data.length ?? 0;
		if (!part || size === 0) return { errcode: 44001 };
		if (size < MEDIA_MIN_BYTES) return { errcode: 40006 };
		if (size > MEDIA_MAX_BYTES[type]) return { errcode: MEDIA_TOO_LARGE[type] };

		const now = this.now();
		const media: FakeUploadedMedia = {
			type,
			filename: part.filename ?? '',
			size,
			contentType: part.contentType ?? 'application/octet-stream',
			media_id: `3${randomBytes(32).toString('base64url')}`,
			sha256: createHash('sha256').update(part.data).digest('hex'),
			time: now,
		};
		this.uploadedMedia.push(media);
		this.byId.set(media.media_id, media);
		return { errcode: 0, type, media_id: media.media_id, created_at: String(Math.floor(now / 1000)) };
	}
}
