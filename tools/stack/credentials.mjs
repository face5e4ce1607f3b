// @ts-check
// The local stack's API tokens and patient-data key, minted at every start (random, never committed). The
// services get only the tokens' hashes (HTTP_API_TOKENS, service-kit's format); the clear tokens go to the
// simulator, to shipping-service (ORDER_SERVICE_TOKEN) and into a git-ignored file for a developer's curl.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * @typedef {{ name: string, hash: string, scopes: string[] }} TokenEntry
 * @typedef {object} StackCredentials
 * @property {{ simulator: string, developer: string, shippingToOrder: string }} tokens
 * @property {{ simulator: TokenEntry, developer: TokenEntry, shippingToOrder: TokenEntry }} entries
 * @property {string} patientDataKeys PATIENT_DATA_KEYS
 * @property {string} patientDataActiveKey
 */

/** The pharmacy's PMS and shipping desk: what the simulator (or a developer by hand) does. */
export const PHARMACY_SCOPES = [
  'orders:read',
  'orders:write',
  'stock:read',
  'stock:write',
  'shipments:read',
  'shipments:write',
];

/** @returns {Promise<StackCredentials>} */
export async function mintStackCredentials() {
  const { mintApiToken } = await import('@rxbridge/service-kit');
  const simulator = mintApiToken('stack-simulator', /** @type {any} */ (PHARMACY_SCOPES));
  const developer = mintApiToken('stack-developer', /** @type {any} */ ([...PHARMACY_SCOPES, 'operator']));
  const shippingToOrder = mintApiToken('shipping-service', ['orders:delivery-address']);
  const keyId = `stack-${randomBytes(3).toString('hex')}`;
  return {
    tokens: {
      simulator: simulator.token,
      developer: developer.token,
      shippingToOrder: shippingToOrder.token,
    },
    entries: {
      simulator: simulator.entry,
      developer: developer.entry,
      shippingToOrder: shippingToOrder.entry,
    },
    patientDataKeys: JSON.stringify({ [keyId]: randomBytes(32).toString('base64') }),
    patientDataActiveKey: keyId,
  };
}

/**
 * Writes the developer's token (and the simulator's) with the services' URLs, readable by the owner only.
 * @param {string} file @param {StackCredentials} c @param {Record<string, string>} urls
 */
export function writeCredentialsFile(file, c, urls) {
  mkdirSync(dirname(file), { recursive: true });
  const body = {
    note: 'Minted by npm start for this run only; replaced at the next start. Never commit.',
    token: c.tokens.developer,
    scopes: c.entries.developer.scopes,
    simulator_token: c.tokens.simulator,
    urls,
  };
  writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}
