/** The imaging engine's chunk store and manifest as a BlockSource (adapter: the sender never imports the engine elsewhere). */
import type { ChunkReader, ManifestChunkRef } from '../../imaging/index.ts';
import type { BlockSource } from './ports.ts';

export function engineBlockSource(
  blocks: readonly ManifestChunkRef[],
  chunks: Pick<ChunkReader, 'getCompressed' | 'getCompressedInto'>,
): BlockSource {
  const into = chunks.getCompressedInto?.bind(chunks);
  return {
    blockCount: blocks.length,
    block(index) {
      const b = blocks[index];
      if (!b) throw new RangeError(`block ${index} of ${blocks.length}`);
      return { hash: b.hash, length: b.length, storedSize: b.storedSize };
    },
    readStored(index) {
      const b = blocks[index];
      if (!b) return Promise.reject(new RangeError(`block ${index} of ${blocks.length}`));
      return chunks.getCompressed(b.hash);
    },
    ...(into
      ? {
          readStoredInto(index: number, buffer: Uint8Array) {
            const b = blocks[index];
            if (!b) return Promise.reject(new RangeError(`block ${index} of ${blocks.length}`));
            return into(b.hash, buffer);
          },
        }
      : {}),
  };
}

/** The blocks a multicast session sends for a manifest: preserved ranges (tables, boot code) first. */
export function sessionBlocks(manifest: {
  preserved: readonly ManifestChunkRef[];
  blocks: readonly ManifestChunkRef[];
}): ManifestChunkRef[] {
  return [...manifest.preserved, ...manifest.blocks].map(({ offset, length, hash, storedSize }) => ({
    offset,
    length,
    hash,
    storedSize,
  }));
}
