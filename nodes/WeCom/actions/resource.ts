export * from '../../shared/resource';
