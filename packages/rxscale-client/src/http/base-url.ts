import { DEFAULT_RXSCALE_BASE_PATH } from '@rxbridge/rxscale-contract';
import { RxScaleConfigError } from '../errors.js';

/**
 * Joins host and base path. `baseUrl` may be a bare host (`https://api.rxscale.com`), in which case
 * `basePath` (default the hyphenated form, DESIGN.md §11; see RXSCALE_BASE_PATHS) is appended, or already include a base path
 * (`https://api.rxscale.com/v1/external_pharmacy_api`), in which case `basePath` must not be given too.
 */
export function resolveBaseUrl(baseUrl: string, basePath?: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new RxScaleConfigError('config_invalid', 'RxScale baseUrl is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new RxScaleConfigError('config_invalid', 'RxScale baseUrl must be http(s)');
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new RxScaleConfigError(
      'config_invalid',
      'RxScale baseUrl must not carry credentials, a query or a fragment',
    );
  }
  const urlPath = url.pathname.replace(/\/+$/, '');
  if (urlPath && basePath !== undefined) {
    throw new RxScaleConfigError(
      'config_invalid',
      'Give the base path either in baseUrl or as basePath, not both',
    );
  }
  let path = urlPath || (basePath ?? DEFAULT_RXSCALE_BASE_PATH);
  if (!path.startsWith('/')) path = `/${path}`;
  path = path.replace(/\/+$/, '');
  return `${url.origin}${path}`;
}
