import { defineResource } from '../resource';
import * as get from './get.operation';
import * as transfer from './transfer.operation';

export const kfSession = defineResource({
	name: 'WeChat Customer Service Session',
	value: 'kfSession',
	description: 'Who has a customer session: the bot, the queue or a servicer',
	defaultOperation: 'get',
	operations: {
		get: {
			name: 'Get',
			description: 'Read who has the session: new, smart assistant, queue, a servicer, or ended',
			action: 'Get the state of a session',
			module: get,
		},
		transfer: {
			name: 'Transfer',
			description: 'Hand the session to the smart assistant, the queue or a servicer, or end it',
			action: 'Transfer a session',
			module: transfer,
		},
	},
});
