import { defineResource } from '../resource';
import * as build from './build.operation';

export const passiveReply = defineResource({
	name: 'Passive Reply',
	value: 'passiveReply',
	description: 'A reply sent back inside the answer to a WeCom Trigger callback',
	defaultOperation: 'build',
	operations: {
		build: {
			name: 'Build',
			description: 'Encrypt a reply for the WeCom Trigger to send back within the callback (5 seconds)',
			action: 'Build an encrypted passive reply',
			module: build,
		},
	},
});
