import { routerFor } from '../../shared/router';
import { resources } from './node.description';

export const router = routerFor(resources);
