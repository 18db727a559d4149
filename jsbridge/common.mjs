// Small pieces the loader's modules share.

/** An Error with a stable `code`, like the ones the Go side raises. */
export function mxError(code, message, cause) {
  const e = new Error(message, cause ? { cause } : undefined);
  e.name = 'MxCryptoError';
  e.code = code;
  return e;
}

/**
 * A queue that runs the functions given to it one after another (each may be
 * async); a failure does not stop the ones after it.
 */
export function serialize() {
  let tail = Promise.resolve();
  return (fn) => {
    const run = tail.then(fn);
    tail = run.catch(() => {});
    return run;
  };
}

const utf8 = new TextEncoder();

/** libolm pickle keys are byte strings; its JS API takes them as strings. */
export function pickleKeyBytes(key) {
  if (typeof key === 'string') return utf8.encode(key);
  return key;
}
