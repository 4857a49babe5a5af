import { BrumeError } from '../graphql/brume-error.ts';

export class InvalidImageNameError extends BrumeError {
  readonly code = 'INVALID_IMAGE_NAME';
  readonly imageName: string;
  constructor(imageName: string) {
    super('Image names are 1-64 characters among A-Z a-z 0-9 . _ - (never "." or "..")');
    this.imageName = imageName.slice(0, 80);
  }
}

export class DuplicateImageNameError extends BrumeError {
  readonly code = 'DUPLICATE_IMAGE_NAME';
  readonly imageName: string;
  constructor(imageName: string) {
    super(`An image named ${imageName} already exists`);
    this.imageName = imageName;
  }
}

export class ImageNotFoundError extends BrumeError {
  readonly code = 'IMAGE_NOT_FOUND';
  readonly id: string;
  constructor(id: string) {
    super('No such image');
    this.id = id;
  }
}

/** FOG's protected flag: no capture over the image, no deletion. */
export class ImageProtectedError extends BrumeError {
  readonly code = 'IMAGE_PROTECTED';
  readonly imageId: string;
  constructor(imageId: string) {
    super('This image is protected: unprotect it first');
    this.imageId = imageId;
  }
}

/** A replica server's image: its versions come from the source by replication, never by capture. */
export class ImageIsReplicaError extends BrumeError {
  readonly code = 'IMAGE_IS_REPLICA';
  readonly imageId: string;
  readonly source: string;
  constructor(imageId: string, source: string) {
    super(`This image is a replica of ${source}'s: capture it there`);
    this.imageId = imageId;
    this.source = source;
  }
}

export class ImageInUseError extends BrumeError {
  readonly code = 'IMAGE_IN_USE';
  readonly imageId: string;
  constructor(imageId: string) {
    super('An active task or multicast session uses this image');
    this.imageId = imageId;
  }
}

export class ImageHasNoVersionError extends BrumeError {
  readonly code = 'IMAGE_HAS_NO_VERSION';
  readonly imageId: string;
  constructor(imageId: string) {
    super('This image has no current version yet: capture it first');
    this.imageId = imageId;
  }
}

export class ImageDisabledError extends BrumeError {
  readonly code = 'IMAGE_DISABLED';
  readonly imageId: string;
  constructor(imageId: string) {
    super('This image is disabled');
    this.imageId = imageId;
  }
}

export class ImageVersionNotFoundError extends BrumeError {
  readonly code = 'IMAGE_VERSION_NOT_FOUND';
  readonly id: string;
  constructor(id: string) {
    super('No such image version');
    this.id = id;
  }
}

/** The version deploys use: another one has to be made current before it can go. */
export class ImageVersionCurrentError extends BrumeError {
  readonly code = 'IMAGE_VERSION_CURRENT';
  readonly id: string;
  constructor(id: string) {
    super('This is the current version: make another version current first, or delete the image');
    this.id = id;
  }
}

/** Replication: the replica has an image of that name that did not come from this source. */
export class ImageNotReplicaError extends BrumeError {
  readonly code = 'IMAGE_NOT_REPLICA';
  constructor(imageName: string, source: string) {
    super(`image ${imageName} here was not received from ${source} (captured here, or from another source)`);
  }
}

/** Replication: that version id is already here with another manifest. */
export class ReplicaVersionConflictError extends BrumeError {
  readonly code = 'VERSION_CONFLICT';
  constructor(versionId: string) {
    super(`version ${versionId} is already here with another manifest`);
  }
}
