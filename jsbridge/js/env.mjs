// What the package's modules need to know about the host they run in, said
// once: whether it is Node, and the text codecs every module shares.

/** Node (or a Node-compatible runtime): node:fs, node:crypto, worker_threads, Buffer. */
export const isNode = typeof process !== 'undefined' && !!process.versions?.node;

/** Node's Buffer (a fast base64 decoder), undefined elsewhere. */
export const NodeBuffer = isNode ? globalThis.Buffer : undefined;

/** string → UTF-8 bytes. */
export const utf8Encoder = new TextEncoder();

/**
 * UTF-8 bytes → string, lenient, keeping a leading U+FEFF (wasm_exec.js's own
 * decoder drops it, and a plaintext may start with one).
 */
export const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** UTF-8 bytes → string; malformed input throws. */
export const utf8StrictDecoder = new TextDecoder('utf-8', { fatal: true });
