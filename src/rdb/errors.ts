/**
 * A corrupt, truncated or unsupported RDB. The message names the absolute byte offset and what the
 * reader expected there, so a failed full sync can be diagnosed from a log line.
 */
export class RdbError extends Error {
  override readonly name = 'RdbError';
  constructor(
    message: string,
    /** Absolute offset in the RDB stream where the problem was found, when known. */
    readonly offset?: number,
  ) {
    super(offset === undefined ? message : `${message} (at RDB offset ${offset})`);
  }
}
