/**
 * What nginx 1.22 writes for a status it answers itself (`return`, the trailing-slash redirect): its reason phrases
 * (ngx_http_status_lines: `302 Moved Temporarily`, none at all for a code it does not know) and its short HTML pages
 * (ngx_http_error_pages), signed with the gateway's name instead of nginx's version (README "Differences from nginx").
 */

const REASONS: Record<number, string> = {
  200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 206: 'Partial Content',
  301: 'Moved Permanently', 302: 'Moved Temporarily', 303: 'See Other', 304: 'Not Modified', 307: 'Temporary Redirect', 308: 'Permanent Redirect',
  400: 'Bad Request', 401: 'Unauthorized', 402: 'Payment Required', 403: 'Forbidden', 404: 'Not Found', 405: 'Not Allowed',
  406: 'Not Acceptable', 408: 'Request Time-out', 409: 'Conflict', 410: 'Gone', 411: 'Length Required', 412: 'Precondition Failed',
  413: 'Request Entity Too Large', 414: 'Request-URI Too Large', 415: 'Unsupported Media Type', 416: 'Requested Range Not Satisfiable',
  421: 'Misdirected Request', 429: 'Too Many Requests',
  500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Temporarily Unavailable',
  504: 'Gateway Time-out', 505: 'HTTP Version Not Supported', 507: 'Insufficient Storage',
};

/** The titles of nginx's pages, where they differ from the reason phrase. */
const PAGE_TITLES: Record<number, string> = {
  302: 'Found', 401: 'Authorization Required', 494: 'Request Header Or Cookie Too Large', 495: 'The SSL certificate error',
  496: 'No required SSL certificate was sent', 497: 'The plain HTTP request was sent to HTTPS port',
};

/** Codes nginx has a page for. */
const PAGES = new Set([301, 302, 303, 307, 308, 400, 401, 402, 403, 404, 405, 406, 408, 409, 410, 411, 412, 413, 414, 415, 416, 421, 429, 494, 495, 496, 497, 500, 501, 502, 503, 504, 505, 507]);

/** nginx's reason phrase for `code`; '' when it has none (its status line is then `HTTP/1.1 418 `). */
export function nginxReason(code: number): string {
  return REASONS[code] ?? '';
}

export const PAGE_SIGNATURE = 'session-gateway';

/** nginx's page for `code`, or null when nginx sends none (then the answer has an empty body). */
export function nginxPage(code: number): string | null {
  if (!PAGES.has(code)) return null;
  // 494–497 are shown as a 400 with their own words.
  const title = `${code >= 494 && code <= 497 ? 400 : code} ${PAGE_TITLES[code] ?? REASONS[code]}`;
  const heading = code >= 494 && code <= 497 ? `<center><h1>400 Bad Request</h1></center>\r\n<center>${PAGE_TITLES[code]}</center>` : `<center><h1>${title}</h1></center>`;
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n${heading}\r\n<hr><center>${PAGE_SIGNATURE}</center>\r\n</body>\r\n</html>\r\n`;
}

/** Statuses after which nginx ends the connection (ngx_http_special_response_handler: r->keepalive = 0). */
export function closesConnection(code: number): boolean {
  return code === 400 || code === 413 || code === 414 || (code >= 494 && code <= 497) || code === 500 || code === 501;
}
