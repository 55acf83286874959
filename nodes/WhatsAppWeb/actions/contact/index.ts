import { defineResource } from '../../../common/resource';
import * as checkNumber from './checkNumber.operation';

export const contact = defineResource({
	name: 'Contact',
	value: 'contact',
	description: 'WhatsApp accounts by phone number',
	defaultOperation: 'checkNumber',
	operations: {
		checkNumber: {
			name: 'Check Number',
			description: 'Check whether a phone number has a WhatsApp account, and get its chat ID',
			action: 'Check a phone number',
			module: checkNumber,
		},
	},
});
