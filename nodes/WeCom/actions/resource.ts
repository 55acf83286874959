export * from '../../common/resource';
