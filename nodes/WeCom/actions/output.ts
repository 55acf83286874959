import type { IDataObject } from 'n8n-workflow';

/** A WeCom answer without its success envelope (errcode 0, errmsg "ok"). */
export function withoutEnvelope(answer: IDataObject): IDataObject {
	const { errcode: _errcode, errmsg: _errmsg, ...rest } = answer;
	return rest;
}
