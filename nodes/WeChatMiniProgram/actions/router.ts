import { routerFor } from '../../common/router';
import { resources } from './node.description';

export const router = routerFor(resources);
