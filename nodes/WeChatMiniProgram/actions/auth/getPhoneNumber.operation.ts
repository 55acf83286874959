import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { miniProgramApiRequest } from '../../transport';
import { requiredCode } from '../fields';

const properties: INodeProperties[] = [
	{
		displayName:
			'A phone code can be used once and is valid for 5 minutes. It comes from a button with open-type="getPhoneNumber" (e.detail.code), not from wx.login().',
		name: 'phoneCodeNotice',
		type: 'notice',
		default: '',
	},
	{
		displayName: 'Phone Code',
		name: 'code',
		type: 'string',
		default: '',
		required: true,
		placeholder: '={{ $json.body.phoneCode }}',
		description: 'The code the getPhoneNumber button gave the mini-program (e.detail.code), sent to this workflow',
	},
];

export const description = updateDisplayOptions({ show: { resource: ['auth'], operation: ['getPhoneNumber'] } }, properties);

/** POST /wxa/business/getuserphonenumber: the number the user agreed to share. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const code = requiredCode(this, itemIndex, 'Phone Code', 'e.detail.code of the getPhoneNumber button, e.g. {{ $json.body.phoneCode }}');
	const answer = await miniProgramApiRequest.call(this, 'POST', '/wxa/business/getuserphonenumber', { code }, { itemIndex });
	const phone = (answer.phone_info ?? {}) as IDataObject;
	return {
		phoneNumber: phone.phoneNumber,
		purePhoneNumber: phone.purePhoneNumber,
		countryCode: phone.countryCode,
	};
}
