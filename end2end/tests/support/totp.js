// Codes as an authenticator app computes them (RFC 6238: 30-second steps, six digits,
// HMAC-SHA-1), from the secret a page shows.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';

/** The bytes of a base32 secret (RFC 4648), spaces ignored. */
export function base32(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const letter of text.replace(/\s/g, '').toUpperCase()) {
    const value = alphabet.indexOf(letter);
    assert.ok(value >= 0, `not base32: ${letter}`);
    bits += value.toString(2).padStart(5, '0');
  }
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** The six-digit code of `secret` at 30-second step `step`. */
export function totp(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const digest = createHmac('sha1', secret).update(counter).digest();
  const offset = digest[19] & 0x0f;
  return String((digest.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

/** The 30-second step of now. */
export const stepNow = () => Math.floor(Date.now() / 30_000);

/**
 * The step of now once at least `margin` ms of it remain, polling the clock: a code of the
 * step before is then still inside the server's drift when the server checks it, even after a
 * round trip or two.
 */
export async function stepWithRoom(margin = 8_000) {
  while (30_000 - (Date.now() % 30_000) < margin) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return stepNow();
}
