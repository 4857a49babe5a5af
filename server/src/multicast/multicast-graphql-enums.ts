import { builder } from '../graphql/builder.ts';
import { MULTICAST_SESSION_STATES, RECEIVER_STATES } from './multicast-states.ts';

export const SessionStateEnum = builder.enumType('MulticastSessionState', {
  values: MULTICAST_SESSION_STATES,
});
export const ReceiverStateEnum = builder.enumType('MulticastReceiverState', { values: RECEIVER_STATES });
