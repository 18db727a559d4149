// The homeserver's HTTP API for mx.connect: JSON in and out with a bearer
// token, and the retry policy in one place: 429 waits retry_after_ms (or
// Retry-After), 5xx and network errors back off exponentially with jitter, a
// 4xx other than 429 is final. fetch only, so it runs in Node, browsers and
// Workers.
import { mxError } from './common.mjs';

export const DEFAULT_RETRY = { maxAttempts: 8, baseDelayMs: 500, maxDelayMs: 30000 };

/** A failed homeserver call: code HOMESERVER_ERROR with status (0: network), errcode, body. */
function homeserverError(method, path, status, body, cause) {
  const what = status ? `${status} ${body?.errcode ?? ''} ${body?.error ?? ''}`.trim() : `network error: ${cause?.message ?? cause}`;
  const e = mxError('HOMESERVER_ERROR', `${method} ${path.split('?')[0]}: ${what}`, cause);
  e.status = status;
  e.errcode = body?.errcode;
  e.body = body;
  return e;
}

const retryable = (status) => status === 0 || status === 429 || status >= 500;

export function sleep(ms, signal) {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * matrixHttp({ baseUrl, fetchImpl, retry, signal, getToken, onRetry }):
 * request(method, path, body, { timeoutMs, allowError, maxAttempts }) and
 * json(…). signal aborts everything (CLOSED).
 */
export function matrixHttp({ baseUrl, fetchImpl, retry, signal, getToken, onRetry }) {
  async function once(method, path, body, { timeoutMs }) {
    const headers = {};
    const token = getToken();
    if (token) headers.authorization = `Bearer ${token}`;
    if (body != null) headers['content-type'] = 'application/json';
    const signals = [signal];
    if (timeoutMs) signals.push(AbortSignal.timeout(timeoutMs));
    let res;
    try {
      res = await fetchImpl(baseUrl + path, {
        method,
        headers,
        body: body == null ? undefined : JSON.stringify(body),
        signal: AbortSignal.any ? AbortSignal.any(signals) : signal,
      });
    } catch (e) {
      if (signal.aborted) throw mxError('CLOSED', 'the client was closed', e);
      return { status: 0, body: null, error: e };
    }
    let json = null;
    try {
      const text = await res.text();
      json = text ? JSON.parse(text) : {};
    } catch (e) {
      if (signal.aborted) throw mxError('CLOSED', 'the client was closed', e);
      // A 2xx that is not JSON is a broken proxy: retry it like a 502.
      if (res.ok) return { status: 502, body: null, error: e };
    }
    return { status: res.status, body: json, headers: res.headers };
  }

  /**
   * Resolves to { status, body } of the final answer: 2xx, a final 4xx (only
   * with allowError), or rejects with HOMESERVER_ERROR once retries are spent.
   */
  async function request(method, path, body = null, { timeoutMs = 90000, allowError = false, maxAttempts = retry.maxAttempts } = {}) {
    for (let attempt = 1; ; attempt++) {
      const r = await once(method, path, body, { timeoutMs });
      if (r.status >= 200 && r.status < 300) return r;
      if (!retryable(r.status) || attempt >= maxAttempts) {
        if (allowError && r.status !== 0) return r;
        throw homeserverError(method, path, r.status, r.body, r.error);
      }
      let delay = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
      delay = delay / 2 + Math.random() * (delay / 2);
      if (r.status === 429) {
        const after = r.body?.retry_after_ms ?? Number(r.headers?.get('retry-after')) * 1000;
        if (Number.isFinite(after) && after >= 0) delay = Math.min(after, retry.maxDelayMs * 4);
      }
      onRetry?.({ method, path, status: r.status, attempt, delayMs: delay });
      await sleep(delay, signal);
      if (signal.aborted) throw mxError('CLOSED', 'the client was closed');
    }
  }

  return {
    request,
    /** The JSON body of a 2xx answer. */
    async json(method, path, body, opts) {
      return (await request(method, path, body, opts)).body;
    },
  };
}

