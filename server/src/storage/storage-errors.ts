import { BrumeError } from '../graphql/brume-error.ts';

export class InvalidStorageNodeNameError extends BrumeError {
  readonly code = 'INVALID_STORAGE_NODE_NAME';
  readonly nodeName: string;
  constructor(nodeName: string) {
    super('Storage node names are 1-64 characters among A-Z a-z 0-9 . _ -');
    this.nodeName = nodeName.slice(0, 80);
  }
}

export class InvalidStorageUrlError extends BrumeError {
  readonly code = 'INVALID_STORAGE_URL';
  readonly url: string;
  constructor(url: string) {
    super('A storage node URL is http(s)://host[:port][/path], without credentials, query or fragment');
    this.url = url.slice(0, 120);
  }
}

export class DuplicateStorageNodeNameError extends BrumeError {
  readonly code = 'DUPLICATE_STORAGE_NODE_NAME';
  readonly nodeName: string;
  constructor(nodeName: string) {
    super(`A storage node named ${nodeName} already exists`);
    this.nodeName = nodeName;
  }
}

/** replicateImages on a node that is not an enabled REPLICA with a token. */
export class ReplicationNotConfiguredError extends BrumeError {
  readonly code = 'REPLICATION_NOT_CONFIGURED';
  constructor(why: string) {
    super(`Nothing to replicate to: ${why}`);
  }
}

export class StorageNodeNotFoundError extends BrumeError {
  readonly code = 'STORAGE_NODE_NOT_FOUND';
  readonly id: string;
  constructor(id: string) {
    super('No such storage node');
    this.id = id;
  }
}

/** A garbage collection waits for running captures: their chunks are not referenced yet. */
export class StoreBusyError extends BrumeError {
  readonly code = 'STORE_BUSY';
  readonly activeCaptures: number;
  constructor(activeCaptures: number, what = 'collect garbage') {
    super(`${activeCaptures} capture(s) running: ${what} once they have ended`);
    this.activeCaptures = activeCaptures;
  }
}

/** A collection met a manifest file it can not read: it would not know which chunks that version needs. */
export class StoreManifestUnreadableError extends BrumeError {
  readonly code = 'STORE_MANIFEST_UNREADABLE';
  readonly imageName: string;
  readonly storeVersion: number;
  constructor(imageName: string, storeVersion: number, message: string) {
    super(message);
    this.imageName = imageName;
    this.storeVersion = storeVersion;
  }
}

export class ImageVerificationNotFoundError extends BrumeError {
  readonly code = 'IMAGE_VERIFICATION_NOT_FOUND';
  readonly id: string;
  constructor(id: string) {
    super('No such image verification');
    this.id = id.slice(0, 100);
  }
}
