import type { INodeProperties } from 'n8n-workflow';

import { department } from './department';
import { directory } from './directory';
import { kfAccount } from './kfAccount';
import { kfCustomer } from './kfCustomer';
import { kfMessage } from './kfMessage';
import { kfServicer } from './kfServicer';
import { kfSession } from './kfSession';
import { media } from './media';
import { member } from './member';
import { message } from './message';
import { passiveReply } from './passiveReply';
import { nodeProperties, type Resource } from './resource';
import { user } from './user';

/** The node's resources; the router runs exactly the operations they offer. Fields follow in this order. */
export const resources: readonly Resource[] = [
	message,
	media,
	kfMessage,
	kfSession,
	kfAccount,
	kfServicer,
	kfCustomer,
	passiveReply,
	user,
	department,
	member,
	directory,
];

/** The node's fields: resource, then each resource's operations and their fields. */
export const properties: INodeProperties[] = nodeProperties(resources, 'message');
