import { defineResource } from '../../../common/resource';
import * as listTemplates from './listTemplates.operation';
import * as send from './send.operation';

export const subscribeMessage = defineResource({
	name: 'Subscribe Message',
	value: 'subscribeMessage',
	description: 'Subscribe messages (订阅消息) and their templates',
	defaultOperation: 'send',
	operations: {
		listTemplates: {
			name: 'List Templates',
			description: "The account's templates (我的模板) with their keywords",
			action: 'List subscribe message templates',
			module: listTemplates,
		},
		send: {
			name: 'Send',
			description: 'Send a subscribe message to a user who accepted its template',
			action: 'Send a subscribe message',
			module: send,
		},
	},
});
