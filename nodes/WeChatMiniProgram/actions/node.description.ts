import { nodeProperties, operationSubtitle, type Resource } from '../../common/resource';
import { auth } from './auth';
import { subscribeMessage } from './subscribeMessage';

/** The node's resources; the router runs exactly the operations they offer. Fields follow in this order. */
export const resources: readonly Resource[] = [auth, subscribeMessage];

export const properties = nodeProperties(resources, 'auth');

export const subtitle = operationSubtitle(resources);
