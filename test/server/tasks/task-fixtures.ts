import { encodeGlobalID } from '@pothos/plugin-relay';
import type { TestApp } from '../../support/app.ts';

let seq = 0;

/** A fresh approved host with a unique name and MAC. */
export async function makeHost(t: TestApp, prefix = 'T') {
  seq++;
  const mac = `52:54:01:${((seq >> 8) & 0xff).toString(16).padStart(2, '0')}:${(seq & 0xff).toString(16).padStart(2, '0')}:${(process.pid & 0xff).toString(16).padStart(2, '0')}`;
  return t.app.services.hosts.createHost({ name: `${prefix}-${seq}`, macs: [mac] });
}

export async function makeImage(t: TestApp, options: { withVersion?: boolean } = {}) {
  seq++;
  const image = await t.app.services.images.createImage({
    name: `img-${seq}`,
    osType: 'WINDOWS_10',
    imageType: 'MULTIPLE_PARTITION_SINGLE_DISK',
  });
  if (options.withVersion) {
    await t.app.services.images.publishImageVersion({
      imageId: image.id,
      sizeBytes: 1 << 30,
      storedBytes: 1 << 28,
      blockCount: 256,
      manifestHash: 'a'.repeat(64),
    });
  }
  return image;
}

export const gid = (type: string, id: string) => encodeGlobalID(type, id);
export const system = { userId: null };
