/**
 * The small HTML answers the proxy gives itself (deny, no server, bad gateway…), with
 * HAProxy's status lines and headers. Built once per status, then reused.
 */
const REASONS: Readonly<Record<number, [reason: string, text: string]>> = {
  200: ['OK', 'Service ready.'],
  400: ['Bad request', 'Your browser sent an invalid request.'],
  401: ['Unauthorized', 'You need a valid user and password to access this content.'],
  403: ['Forbidden', 'Request forbidden by administrative rules.'],
  404: ['Not Found', 'The resource could not be found.'],
  405: ['Method Not Allowed', 'A request was made of a resource using a request method not supported by that resource.'],
  407: ['Unauthorized', 'You need a valid user and password to access this content.'],
  408: ['Request Time-out', "Your browser didn't send a complete request in time."],
  410: ['Gone', 'The resource is no longer available and will not be available again.'],
  413: ['Payload Too Large', 'The request entity exceeds the maximum allowed.'],
  421: ['Misdirected Request', 'Request sent to a non-authoritative server.'],
  422: ['Unprocessable Content', 'The server cannot process the contained instructions.'],
  425: ['Too Early', 'Your browser sent early data.'],
  429: ['Too Many Requests', 'You have sent too many requests in a given amount of time.'],
  500: ['Internal Server Error', 'An internal server error occurred.'],
  501: ['Not Implemented', 'The server does not support the functionality required to fulfill the request.'],
  502: ['Bad Gateway', 'The server returned an invalid or incomplete response.'],
  503: ['Service Unavailable', 'No server is available to handle this request.'],
  504: ['Gateway Time-out', "The server didn't respond in time."],
};

interface Canned {
  reason: string;
  headers: string[];
  body: Buffer;
}

const cache = new Map<number, Canned>();

function canned(status: number): Canned {
  let c = cache.get(status);
  if (!c) {
    const [reason, text] = REASONS[status] ?? ['Error', 'An error occurred.'];
    const body = Buffer.from(`<html><body><h1>${status} ${reason}</h1>\n${text}\n</body></html>\n`, 'latin1');
    c = {
      reason,
      body,
      headers: ['content-length', String(body.length), 'cache-control', 'no-cache', 'content-type', 'text/html'],
    };
    cache.set(status, c);
  }
  return c;
}

/** The raw bytes of an error response that closes the connection. */
export function rawErrorResponse(status: number): Buffer {
  return errorResponse(status, false, false);
}

const bytesCache = new Map<number, Buffer>();

/** The raw bytes of the proxy's own answer; `keepAlive` false adds `connection: close`. */
export function errorResponse(status: number, keepAlive: boolean, headRequest: boolean): Buffer {
  const key = status * 4 + (keepAlive ? 2 : 0) + (headRequest ? 1 : 0);
  let bytes = bytesCache.get(key);
  if (!bytes) {
    const c = canned(status);
    const head = `HTTP/1.1 ${status} ${c.reason}\r\ncontent-length: ${c.body.length}\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n${keepAlive ? '' : 'connection: close\r\n'}\r\n`;
    bytes = headRequest ? Buffer.from(head, 'latin1') : Buffer.concat([Buffer.from(head, 'latin1'), c.body]);
    bytesCache.set(key, bytes);
  }
  return bytes;
}
