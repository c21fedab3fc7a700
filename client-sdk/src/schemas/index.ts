export * from './common.js';
export * from './customer.js';
