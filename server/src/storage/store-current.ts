/**
 * The image store's `current` pointer follows the database: when another version of an image is
 * made current, the store version holding the same manifest (found by its digest under the image's
 * name) becomes current there too. The database stays the authority; a store read without it (the
 * local CLI, an import after the database was lost) then deploys what the lab deploys.
 */
import type { Logger } from 'pino';
import { manifestDigest, openLocalStore } from '../imaging/index.ts';

export function storeCurrentFollower(imagesDir: string, log: Logger) {
  const manifests = openLocalStore(imagesDir).manifests;
  /** Never throws: the version is current in the database whatever happens here. */
  return async (imageName: string, digest: string): Promise<void> => {
    try {
      const versions = await manifests.listVersions(imageName);
      for (const n of versions.reverse()) {
        const found = await manifests.read(imageName, n).then(manifestDigest, () => null);
        if (found !== digest) continue;
        await manifests.setCurrent(imageName, n);
        return;
      }
      log.warn({ imageName, digest }, 'no manifest file in the store for the version made current');
    } catch (err) {
      log.error({ err, imageName }, "updating the image store's current version failed");
    }
  };
}
