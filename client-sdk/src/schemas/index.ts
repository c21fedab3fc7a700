export * from './common.js';
export * from './customer.js';
export * from './auth.js';
export * from './api-keys.js';
export * from './events.js';
export * from './webhooks.js';
export * from './audit.js';
export * from './privacy.js';
