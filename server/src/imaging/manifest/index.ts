export * from './manifest-codec.ts';
export * from './manifest-errors.ts';
export * from './manifest-schema.ts';
export * from './manifest-store.ts';
