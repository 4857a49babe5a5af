import type { ImageRow } from './images-table.ts';

/**
 * Why a capture into this image is refused, or null: FOG's protected flag, and images a replica
 * server received from its source (their versions come from there only). The data plane fails
 * the task with this reason.
 */
export function captureRefusal(image: Pick<ImageRow, 'protected' | 'replicaOf'>): string | null {
  if (image.protected) return 'the image is protected: captures are refused';
  if (image.replicaOf !== null) return `the image is a replica of ${image.replicaOf}'s: capture it there`;
  return null;
}
