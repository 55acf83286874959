/* eslint-disable @n8n/community-nodes/no-restricted-imports -- test code, never shipped */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { buildMediaMultipart, mediaProblem, uploadFileName } from '../../nodes/WeCom/transport/media';

const MB = 1024 * 1024;

describe('media/upload rules', () => {
	it('accepts what WeCom accepts', () => {
		assert.equal(mediaProblem('image', { data: Buffer.alloc(10 * MB), fileName: 'a.jpg' }), undefined);
		assert.equal(mediaProblem('image', { data: Buffer.alloc(100), mimeType: 'image/png' }), undefined);
		assert.equal(mediaProblem('voice', { data: Buffer.alloc(2 * MB), fileName: 'a.AMR' }), undefined);
		assert.equal(mediaProblem('video', { data: Buffer.alloc(10 * MB), fileName: 'a.mp4' }), undefined);
		assert.equal(mediaProblem('file', { data: Buffer.alloc(20 * MB), fileName: 'report.xlsx' }), undefined);
		assert.equal(mediaProblem('file', { data: Buffer.alloc(6) }), undefined);
	});

	it('refuses files WeCom would refuse, saying why', () => {
		assert.match(String(mediaProblem('image', { data: Buffer.alloc(10 * MB + 1), fileName: 'a.jpg' })), /10\.0 MB/);
		assert.match(String(mediaProblem('voice', { data: Buffer.alloc(2 * MB + 1), fileName: 'a.amr' })), /2\.0 MB/);
		assert.match(String(mediaProblem('video', { data: Buffer.alloc(10 * MB + 1), fileName: 'a.mp4' })), /10\.0 MB/);
		assert.match(String(mediaProblem('file', { data: Buffer.alloc(20 * MB + 1), fileName: 'a.zip' })), /20\.0 MB/);
		assert.match(String(mediaProblem('file', { data: Buffer.alloc(5), fileName: 'a.txt' })), /larger than 5 bytes/);
		assert.match(String(mediaProblem('image', { data: Buffer.alloc(100), fileName: 'a.gif', mimeType: 'image/gif' })), /JPG or PNG/);
	});

	it('names the file so WeCom can tell its format', () => {
		assert.equal(uploadFileName('image', { data: Buffer.alloc(1), mimeType: 'image/png' }), 'image.png');
		assert.equal(uploadFileName('file', { data: Buffer.alloc(1), fileName: 'a"b\r\n.pdf' }), 'a_b__.pdf');
		assert.equal(uploadFileName('file', { data: Buffer.alloc(1), fileName: '报价单.pdf' }), '报价单.pdf');
	});

	it('builds one multipart part named media with filename, filelength and content type', () => {
		const data = Buffer.from([0xff, 0xd8, 0xff, 0x00, 0x01, 0x02, 0x03]);
		const { body, contentType } = buildMediaMultipart('image', { data, fileName: 'a.jpg', mimeType: 'image/jpeg' }, 'BOUNDARY');
		assert.equal(contentType, 'multipart/form-data; boundary=BOUNDARY');
		const head =
			'--BOUNDARY\r\nContent-Disposition: form-data; name="media"; filename="a.jpg"; filelength=7\r\nContent-Type: image/jpeg\r\n\r\n';
		assert.deepEqual(body.subarray(0, head.length), Buffer.from(head));
		assert.deepEqual(body.subarray(head.length, head.length + data.length), data);
		assert.equal(body.subarray(head.length + data.length).toString(), '\r\n--BOUNDARY--\r\n');
	});
});
