// @rxbridge/service-kit/tokens: the REST API's scopes and bearer tokens (mint, hash, verify) alone (zod and
// node:crypto), for tools such as the CLI that must start fast. The services keep using the main entry.
export { ApiScope, type ApiCaller } from '../http/api-scopes.js';
export {
  ApiTokenVerifier,
  hashApiToken,
  mintApiToken,
  API_TOKEN_PREFIX,
  API_TOKEN_HASH,
  type ApiTokenEntry,
} from '../http/api-tokens.js';
