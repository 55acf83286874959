import { nodeProperties, operationSubtitle, type Resource } from '../../common/resource';
import { contact } from './contact';
import { message } from './message';
import { session } from './session';

/** The node's resources; the router runs exactly the operations they offer. Fields follow in this order. */
export const resources: readonly Resource[] = [message, session, contact];

export const properties = nodeProperties(resources, 'message');

export const subtitle = operationSubtitle(resources);
