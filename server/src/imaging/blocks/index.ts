export * from './block-content.ts';
export * from './block-plan.ts';
