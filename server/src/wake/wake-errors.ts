import { BrumeError } from '../graphql/brume-error.ts';

/** No target to send magic packets to: the operator configured none. */
export class WakeOffError extends BrumeError {
  readonly code = 'WAKE_ON_LAN_OFF';
}
