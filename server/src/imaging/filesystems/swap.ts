import type { UsedMap } from '../layout-types.ts';
import { BitmapUsedMap } from './used-map.ts';

/** Linux swap keeps its signature at the end of the first page; 4 KiB pages are the rule on x86 and arm64. */
export const SWAP_HEADER_SIZE = 4096;
const SIGNATURES = ['SWAPSPACE2', 'SWAP-SPACE'];

export function isSwap(firstPage: Uint8Array): boolean {
  if (firstPage.length < SWAP_HEADER_SIZE) return false;
  const sig = new TextDecoder('latin1').decode(firstPage.subarray(SWAP_HEADER_SIZE - 10, SWAP_HEADER_SIZE));
  return SIGNATURES.includes(sig);
}

/** Only the header page matters: swap content is meaningless after a reboot. */
export function swapUsedMap(partitionSize: number): UsedMap {
  const pages = Math.floor(partitionSize / SWAP_HEADER_SIZE);
  const bitmap = new Uint8Array(Math.ceil(pages / 8));
  if (pages > 0) bitmap[0] = 1;
  return new BitmapUsedMap({
    fs: 'swap',
    partitionSize,
    clusterSize: SWAP_HEADER_SIZE,
    totalClusters: pages,
    bitmap,
    firstClusterOffset: 0,
    extraRanges: [],
  });
}
