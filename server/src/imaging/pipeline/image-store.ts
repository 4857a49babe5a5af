/** A chunk store and the manifests that reference it, as one handle (local directory now). */
import { LocalManifestStore, type ManifestStore } from '../manifest/manifest-store.ts';
import type { ChunkReader, ChunkStore, ChunkWriter } from '../store/chunk-store.ts';
import { LocalChunkStore } from '../store/local-chunk-store.ts';

export interface ImageStore<C = ChunkReader & ChunkWriter> {
  readonly chunks: C;
  readonly manifests: ManifestStore;
}

export interface LocalImageStore extends ImageStore<ChunkStore> {
  readonly chunks: LocalChunkStore;
  readonly manifests: LocalManifestStore;
  readonly root: string;
}

export function openLocalStore(root: string, options: { level?: number } = {}): LocalImageStore {
  const chunks = new LocalChunkStore(root, options.level === undefined ? {} : { level: options.level });
  return { root, chunks, manifests: new LocalManifestStore(root) };
}
