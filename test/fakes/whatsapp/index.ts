export * from './server';
export * from './webhooks';
