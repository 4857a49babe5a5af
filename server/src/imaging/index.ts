/**
 * The imaging engine's public surface for the server, the client and the CLI. Everything here is
 * free of printing and process state: progress goes through sinks, errors are typed.
 */
export * from './blocks/index.ts';
export * from './copy-bytes.ts';
export { describeDisk, type OpenedDisk, openDisk } from './disk/open-disk.ts';
export { analyzePartition } from './filesystems/analyze-partition.ts';
export * from './layout-types.ts';
export * from './manifest/index.ts';
export { readDiskLayout } from './partitions/read-layout.ts';
export * from './pipeline/index.ts';
export * from './store/index.ts';
