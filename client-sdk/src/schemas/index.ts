export * from './common.js';
export * from './customer.js';
export * from './auth.js';
