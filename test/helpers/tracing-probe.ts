/**
 * Run as its own process by test/tracing.test.ts: builds the app from the environment, answers one
 * request, and prints which OpenTelemetry modules the process loaded (the API aside: prom-client
 * loads that one whatever tracing does), then closes the app.
 */
import { createRequire } from 'node:module';
import { buildApp } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';

const app = await buildApp(loadConfig());
const res = await app.http.inject({ method: 'GET', url: '/health' });
const sdkModules = Object.keys(createRequire(import.meta.url).cache).filter((file) => /@opentelemetry[\\/](?!api[\\/])/.test(file));
console.log(JSON.stringify({ probe: { status: res.statusCode, sdkModules: sdkModules.length } }));
await app.http.close();
