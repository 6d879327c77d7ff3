/**
 * Security headers, written by hand (no helmet dependency): every response of the API and docs
 * forbids MIME sniffing and framing and sends no referrer; API responses additionally carry a
 * deny-all Content-Security-Policy (they are JSON, never a document) and are never cached
 * (tokens, customer data). The docs UI sets its own CSP (@fastify/swagger-ui `staticCSP`).
 * HSTS is left to the TLS-terminating proxy: this server speaks plain HTTP.
 */
import type { FastifyReply } from 'fastify';

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

export const API_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cache-control': 'no-store',
};

export function applySecurityHeaders(reply: FastifyReply): void {
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) if (!reply.hasHeader(k)) void reply.header(k, v);
}

export function applyApiHeaders(reply: FastifyReply): void {
  for (const [k, v] of Object.entries(API_HEADERS)) void reply.header(k, v);
}

/** For streams written to the raw socket (server-sent events), which bypass onSend hooks. */
export function rawSecurityHeaders(): Record<string, string> {
  return { ...SECURITY_HEADERS, 'content-security-policy': API_HEADERS['content-security-policy']! };
}
