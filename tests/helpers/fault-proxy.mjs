// A fault-injecting HTTP proxy on 127.0.0.1 between test clients and Synapse:
// the "network" and the "malicious server" of the homeserver tests.
//
//   const proxy = await startFaultProxy(hs.baseUrl);
//   proxy.baseUrl                                   // give this to the clients
//   proxy.addRule({ path: '/_matrix/client/v3/keys/upload', times: 2, respond: { status: 504 } });
//   proxy.addRule({ path: /\/sync$/, drop: true });  // forwarded, then the response is lost
//   proxy.addRule({ path: '/keys/query', alterResponse: (json, req) => json });
//   await proxy.stop();
//
// A rule matches on method (optional) and path (a string matched as a
// suffix of the URL path, or a RegExp tested on it), and optionally on
// `token` (the request's access token: one client's traffic). It applies to the next `times` matching requests (default:
// every one until removed). Its action is one of:
//   respond: { status, body? }  answer without forwarding (e.g. 504, 429)
//   hold: Promise               wait for the promise before forwarding
//   reset: true                 destroy the connection without forwarding
//   drop: true                  forward, let the server process it, then
//                               destroy the connection without an answer
//   alterRequest(json, req)     rewrite the JSON request body before forwarding
//   alterResponse(json, req)    rewrite the JSON response body
// Every exchange is logged in proxy.log ({ method, path, search, status,
// requestBody, responseBody, action }) so tests can replay bodies seen earlier.
import http from 'node:http';

function matches(rule, req, path) {
  if (rule.method && rule.method !== req.method) return false;
  if (typeof rule.path === 'string' && !path.endsWith(rule.path)) return false;
  if (rule.path instanceof RegExp && !rule.path.test(path)) return false;
  if (rule.token && rule.token !== bearer(req)) return false;
  return true;
}

function bearer(req) {
  const h = req.headers.authorization ?? '';
  return h.startsWith('Bearer ') ? h.slice(7) : new URL(req.url, 'http://x').searchParams.get('access_token');
}

function parseJson(buf) {
  if (!buf.length) return undefined;
  try { return JSON.parse(buf.toString('utf8')); } catch { return undefined; }
}

function readBody(stream) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/** Starts the proxy in front of target (e.g. 'http://127.0.0.1:8008'). */
export async function startFaultProxy(target) {
  const upstream = new URL(target);
  const rules = [];
  const log = [];
  const waiters = [];

  function takeRule(req, path) {
    for (const rule of rules) {
      if (rule.remaining > 0 && matches(rule, req, path)) {
        rule.remaining--;
        rule.hits++;
        return rule;
      }
    }
    return null;
  }

  function record(entry) {
    log.push(entry);
    for (const w of [...waiters]) {
      if (w.predicate(entry)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(entry);
      }
    }
  }

  function forward(req, body) {
    return new Promise((resolve, reject) => {
      const headers = { ...req.headers, host: upstream.host };
      delete headers['content-length'];
      delete headers['accept-encoding'];
      if (body.length) headers['content-length'] = String(body.length);
      const out = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, async (res) => {
        try {
          resolve({ status: res.statusCode, headers: res.headers, body: await readBody(res) });
        } catch (e) { reject(e); }
      });
      out.on('error', reject);
      out.end(body);
    });
  }

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://proxy');
    const path = url.pathname;
    let entry;
    try {
      let body = await readBody(req);
      const requestJson = parseJson(body);
      const rule = takeRule(req, path);
      entry = { method: req.method, path, search: url.search, token: bearer(req), requestBody: requestJson, action: rule?.name ?? null, at: Date.now() };
      if (rule?.respond) {
        const payload = rule.respond.body ?? { errcode: 'M_UNKNOWN', error: `fault proxy: ${rule.respond.status}` };
        res.writeHead(rule.respond.status, { 'content-type': 'application/json', ...rule.respond.headers });
        res.end(JSON.stringify(payload));
        record({ ...entry, status: rule.respond.status, responseBody: payload });
        return;
      }
      if (rule?.reset) {
        req.socket.destroy();
        record({ ...entry, status: 'reset' });
        return;
      }
      if (rule?.hold) await rule.hold;
      if (rule?.alterRequest && requestJson !== undefined) {
        const changed = await rule.alterRequest(structuredClone(requestJson), entry);
        body = Buffer.from(JSON.stringify(changed));
        entry.requestBody = changed;
      }
      const answer = await forward(req, body);
      let responseJson = parseJson(answer.body);
      let responseBuf = answer.body;
      if (rule?.drop) {
        req.socket.destroy();
        record({ ...entry, status: 'dropped', serverStatus: answer.status, responseBody: responseJson });
        return;
      }
      if (rule?.alterResponse && responseJson !== undefined) {
        responseJson = await rule.alterResponse(structuredClone(responseJson), entry);
        responseBuf = Buffer.from(JSON.stringify(responseJson));
      }
      const headers = { ...answer.headers, 'content-length': String(responseBuf.length) };
      delete headers['transfer-encoding'];
      delete headers.connection;
      res.writeHead(answer.status, headers);
      res.end(responseBuf);
      record({ ...entry, status: answer.status, responseBody: responseJson });
    } catch (e) {
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errcode: 'M_UNKNOWN', error: `fault proxy: upstream failed: ${e.message}` }));
      }
      record({ ...(entry ?? { method: req.method, path }), status: 502, error: e.message });
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${server.address().port}`;

  let counter = 0;
  return {
    baseUrl,
    log,
    /** Adds a rule (see the file comment); returns it, with .hits counting uses. */
    addRule(rule) {
      const r = { name: rule.name ?? `rule${++counter}`, ...rule, remaining: rule.times ?? Infinity, hits: 0 };
      rules.push(r);
      return r;
    },
    removeRule(rule) {
      const i = rules.indexOf(rule);
      if (i >= 0) rules.splice(i, 1);
    },
    clearRules() { rules.length = 0; },
    /** Log entries whose path ends with suffix (or matches a RegExp). */
    requests(path, method) {
      return log.filter((e) => (method ? e.method === method : true) && (path instanceof RegExp ? path.test(e.path) : e.path.endsWith(path)));
    },
    /** Resolves with the next logged exchange for which predicate is true (timeout ms). */
    waitFor(predicate, timeoutMs = 30000) {
      return new Promise((resolve, reject) => {
        const w = { predicate, resolve };
        waiters.push(w);
        setTimeout(() => {
          const i = waiters.indexOf(w);
          if (i >= 0) { waiters.splice(i, 1); reject(new Error('fault proxy: timed out waiting for a request')); }
        }, timeoutMs).unref();
      });
    },
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
