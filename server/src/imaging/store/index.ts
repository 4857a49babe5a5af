export * from './chunk-codec.ts';
export * from './chunk-hash.ts';
export * from './chunk-store.ts';
export * from './garbage-collect.ts';
export * from './local-chunk-store.ts';
export type { HeldFile } from './safe-fs.ts';
