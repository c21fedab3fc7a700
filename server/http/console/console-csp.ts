/**
 * The console's Content-Security-Policy, stricter than the service-wide one (which lets Swagger
 * UI use inline styles): every script, style, image and connection from this server only, no
 * inline script or style, no eval, no plugins, no framing, no <base> rewriting, forms post here.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');
