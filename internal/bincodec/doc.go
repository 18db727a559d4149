// Package bincodec is the one binary reader and writer behind mxcrypto's
// stored formats: the store's manifest, segments and key file, the device's
// records, and the olm and megolm pickles. (libolmpickle keeps its own code:
// it must match libolm byte for byte, quirks included.)
//
// Every value has exactly one encoding, so decoding and encoding again gives
// back the same bytes, and a damaged record cannot be read two ways:
//
//   - uvarints and zigzag varints must be in their shortest form;
//   - a boolean is one byte, 0 or 1, and any other byte is an error;
//   - lengths and counts are checked against a limit and against the bytes
//     left, so a hostile length cannot make the reader allocate more than the
//     input;
//   - Finish fails if bytes are left over.
//
// The Reader's errors are sticky: after the first failure every read returns
// a zero value and the input is dropped, so a decoder reads all its fields
// and checks Err (or Finish) once. Callers turn the error into their own
// error code (the store's StoreCorrupt, a pickle's BadPickle).
package bincodec
