/**
 * Base of every domain error returned as data. `code` is a stable machine-readable string
 * (a closed list per domain); `message` is for people. No GraphQL import: services throw these.
 */
export abstract class BrumeError extends Error {
  abstract readonly code: string;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
