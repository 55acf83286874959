import type { IDataObject } from 'n8n-workflow';

/** A WeCom answer without its success envelope (errcode 0, errmsg "ok"). */
export function withoutEnvelope(answer: IDataObject): IDataObject {
	return Object.fromEntries(Object.entries(answer).filter(([key]) => key !== 'errcode' && key !== 'errmsg'));
}
