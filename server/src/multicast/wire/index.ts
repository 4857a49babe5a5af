export * from './constants.ts';
export * from './decode.ts';
export * from './encode.ts';
export * from './fast-data.ts';
export * from './frame.ts';
export * from './mac.ts';
export type * from './messages.ts';
export * from './session-ticket.ts';
export * from './wire-errors.ts';
