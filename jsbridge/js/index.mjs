// mxcrypto loader, the package's entry: compiles the Go WebAssembly module,
// starts it (runtime.mjs) and resolves to the promise-based API (api.mjs).
// Works in Node ≥ 20, browsers and Workers.
import { LOADER_CODES, mxError } from './common.mjs';
import { isNode } from './env.mjs';
import { plainCopy } from './guard.mjs';
import { nativeHost } from './host.mjs';

// The package (dist/, where the build copies this file) has the module and
// Go's runtime next to the loader. The URLs are made on first use, not at
// load: in a Cloudflare Worker import.meta.url is not a base URL and
// `new URL` at module top level would fail the import.
const defaultWasmUrl = () => new URL('./mxcrypto.wasm', import.meta.url);
const wasmExecUrl = () => new URL('./wasm_exec.js', import.meta.url);

const subtle = globalThis.crypto?.subtle;

/**
 * Load the module and resolve to the API object.
 * @param {{ wasm?: string | URL | Uint8Array | ArrayBuffer | Response | WebAssembly.Module, webCrypto?: boolean }} [options]
 *   webCrypto: false makes every operation run in Go, without WebCrypto or
 *   node:crypto (for tests and benchmarks).
 */
export async function init(options) {
  let wasm, webCrypto;
  try {
    ({ wasm, webCrypto } = readInitOptions(options));
  } catch (e) {
    throw e?.name === 'MxCryptoError' ? e : mxError(LOADER_CODES.BAD_INPUT, `init: options cannot be read: ${e?.message ?? e}`, e);
  }
  try {
    return await start(wasm, webCrypto);
  } catch (e) {
    if (e?.name === 'MxCryptoError' && typeof e.code === 'string') throw e;
    throw mxError(LOADER_CODES.NOT_LOADED, `init: ${e?.message ?? e}`, e);
  }
}

/**
 * init's options, read once and guarded (a Proxy or a throwing getter is
 * BAD_INPUT): the module source is kept as it is (a Module, a Response), or
 * copied if it is bytes, so that compile() reads only values it trusts.
 */
function readInitOptions(options) {
  if (options === undefined || options === null) return { wasm: undefined, webCrypto: true };
  if (typeof options !== 'object') throw mxError(LOADER_CODES.BAD_INPUT, 'init: options must be an object');
  const wasm = options.wasm;
  const webCrypto = options.webCrypto;
  if (webCrypto !== undefined && typeof webCrypto !== 'boolean') throw mxError(LOADER_CODES.BAD_INPUT, 'init: webCrypto must be a boolean');
  if (wasm instanceof Uint8Array || wasm instanceof ArrayBuffer || ArrayBuffer.isView(wasm)) {
    return { wasm: plainCopy(wasm instanceof ArrayBuffer ? new Uint8Array(wasm) : wasm, 'init: options.wasm'), webCrypto };
  }
  if (wasm !== undefined && wasm !== null && typeof wasm !== 'string' && typeof wasm !== 'object') {
    throw mxError(LOADER_CODES.BAD_INPUT, 'init: options.wasm must be a URL, a path, bytes, a Response or a WebAssembly.Module');
  }
  return { wasm, webCrypto };
}

async function start(wasm, webCrypto) {
  // Go's os package reaches files through globalThis.fs (the store's fs backend); without it wasm_exec.js installs a stub.
  if (isNode && !globalThis.Go && !globalThis.fs) globalThis.fs = (await import('node:fs')).default;
  // Compile the module while the Go runtime glue and the rest of the loader
  // load: the API's modules are imported here rather than statically, so
  // that a browser starts fetching the wasm module after two levels of
  // small imports instead of five.
  const native = webCrypto !== false;
  const [module, , host, { Runtime }, { buildApi }] = await Promise.all([
    compile(wasm ?? defaultWasmUrl()),
    globalThis.Go ? null : import(wasmExecUrl().href),
    native ? nativeHost() : null,
    import('./runtime.mjs'),
    import('./api.mjs'),
  ]);
  if (!globalThis.Go) throw mxError(LOADER_CODES.NOT_LOADED, 'the Go wasm runtime (wasm_exec.js) did not load; run `npm run build` first');
  const runtime = new Runtime(module, { subtle: native ? subtle : undefined, host });
  await runtime.ensure();
  return buildApi(runtime);
}

async function compile(source) {
  // Streaming compilation overlaps download and compilation, and is what
  // lets a browser cache the compiled code (V8's wasm code cache). It needs
  // a real Response with Content-Type exactly application/wasm (Node refuses
  // parameters); anything else is compiled from its bytes.
  const compileResponse = async (res) => {
    const type = res.headers.get?.('content-type')?.trim().toLowerCase();
    if (type === 'application/wasm' && typeof WebAssembly.compileStreaming === 'function' &&
        typeof Response === 'function' && res instanceof Response) {
      return await WebAssembly.compileStreaming(res);
    }
    return await WebAssembly.compile(await res.arrayBuffer());
  };
  try {
    if (source instanceof WebAssembly.Module) return source;
    if (source instanceof Uint8Array || source instanceof ArrayBuffer) return await WebAssembly.compile(source);
    // Duck-typed: in Node, merely touching the global Response loads undici (~15 ms).
    if (typeof source?.arrayBuffer === 'function' && typeof source?.headers === 'object') return await compileResponse(source);
    let url = source;
    if (typeof source === 'string') {
      url = /^[a-z][a-z0-9+.-]*:/i.test(source) && !/^[a-z]:[\\/]/i.test(source) ? new URL(source) : null;
      if (!url) {
        if (isNode) {
          const { readFile } = await import('node:fs/promises');
          return await WebAssembly.compile(await readFile(source));
        }
        url = new URL(source, globalThis.location?.href);
      }
    }
    if (url instanceof URL) {
      if (url.protocol === 'file:' && isNode) {
        const { readFile } = await import('node:fs/promises');
        return await WebAssembly.compile(await readFile(url));
      }
      const res = await fetch(url);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return await compileResponse(res);
    }
  } catch (e) {
    throw mxError(LOADER_CODES.NOT_LOADED, `cannot load the mxcrypto wasm module from ${String(source)}: ${e.message} (did you run \`npm run build\`?)`, e);
  }
  throw mxError(LOADER_CODES.BAD_INPUT, 'options.wasm must be a URL, a path, bytes, a Response or a WebAssembly.Module');
}

