export class InvalidImageNameError extends Error {
  readonly code = 'INVALID_IMAGE_NAME';
  readonly imageName: string;
  constructor(name: string) {
    super(`invalid image name ${JSON.stringify(name.slice(0, 80))}: use [A-Za-z0-9._-]{1,64}, not . or ..`);
    this.imageName = name;
  }
}

export class ImageNotFoundError extends Error {
  readonly code = 'IMAGE_NOT_FOUND';
  readonly imageName: string;
  readonly version: number | undefined;
  constructor(name: string, version?: number) {
    super(version === undefined ? `no image named ${name}` : `image ${name} has no version ${version}`);
    this.imageName = name;
    this.version = version;
  }
}

export class InvalidManifestError extends Error {
  readonly code = 'INVALID_MANIFEST';
  readonly issues: readonly string[];
  constructor(where: string, issues: readonly string[]) {
    super(`invalid manifest ${where}: ${issues.slice(0, 5).join('; ')}`);
    this.issues = issues;
  }
}

export class UnsupportedManifestVersionError extends Error {
  readonly code = 'UNSUPPORTED_MANIFEST_VERSION';
  readonly formatVersion: unknown;
  constructor(where: string, formatVersion: unknown) {
    super(`manifest ${where} has format version ${String(formatVersion)}; this Brume reads version 1`);
    this.formatVersion = formatVersion;
  }
}
