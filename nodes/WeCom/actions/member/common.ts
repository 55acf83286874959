import type { INodeProperties } from 'n8n-workflow';

/** What a self-built app no longer reads since 2022-06-20 (doc 90196 / 90201), said where members are read. */
export const withheldFieldsNotice: INodeProperties = {
	displayName:
		'Self-built apps created after 2022-06-20 no longer receive mobile, email, biz_mail, gender, avatar or address: these fields are missing from the output. The 通讯录同步 secret still reads them, unless it calls from an IP first used after 2022-08-15 (then only Get IDs works).',
	name: 'withheldFieldsNotice',
	type: 'notice',
	default: '',
};
