import { BrumeError } from '../graphql/brume-error.ts';
import type { MulticastSessionState } from './multicast-states.ts';

export class InvalidSessionNameError extends BrumeError {
  readonly code = 'INVALID_SESSION_NAME';
  readonly sessionName: string;
  constructor(sessionName: string) {
    super('Session names are 1-64 characters among A-Z a-z 0-9 . _ -');
    this.sessionName = sessionName.slice(0, 80);
  }
}

export class DuplicateSessionNameError extends BrumeError {
  readonly code = 'DUPLICATE_SESSION_NAME';
  readonly sessionName: string;
  constructor(sessionName: string) {
    super(`An open multicast session is already named ${sessionName}`);
    this.sessionName = sessionName;
  }
}

export class MulticastSessionNotFoundError extends BrumeError {
  readonly code = 'MULTICAST_SESSION_NOT_FOUND';
  readonly id: string;
  constructor(id: string) {
    super('No such multicast session');
    this.id = id;
  }
}

export class MulticastSessionFinishedError extends BrumeError {
  readonly code = 'MULTICAST_SESSION_FINISHED';
  readonly state: MulticastSessionState;
  constructor(state: MulticastSessionState, message?: string) {
    super(message ?? `The session is already ${state.toLowerCase()}`);
    this.state = state;
  }
}
