/**
 * What the boot menu asks the server on an operator's behalf (after the login the state-changing
 * rows require). The GraphQL implementation is `api/graphql-operator-port.ts`.
 */
import type { CommandResult } from '../console/console-port.ts';
import type { Operator } from './menu/use-menu-state.ts';

export interface ImageChoice {
  readonly id: string;
  readonly name: string;
  readonly osType: string;
  /** False when the image has no captured version yet (nothing to deploy). */
  readonly deployable: boolean;
}

export interface GroupChoice {
  readonly id: string;
  readonly name: string;
}

/** Login refused (wrong credentials, throttled, insufficient role): shown on the login form. */
export class LoginRefusedError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'LoginRefusedError';
    this.code = code;
  }
}

export interface OperatorPort {
  /** Exchanges credentials for a session token; throws `LoginRefusedError`. */
  login(username: string, password: string): Promise<Operator>;
  /** Images to offer; `operator` is null at unauthenticated steps (the server may refuse: empty list). */
  listImages(operator: Operator | null): Promise<ImageChoice[]>;
  listGroups(operator: Operator | null): Promise<GroupChoice[]>;
  /** The host's API id by MAC (the menu's check-in does not give it), or null when unknown. */
  hostIdByMac(operator: Operator, mac: string): Promise<string | null>;
  startDeploy(operator: Operator, hostId: string, imageId: string): Promise<CommandResult>;
  joinMulticast(operator: Operator, hostId: string, sessionName: string): Promise<CommandResult>;
  deleteHost(operator: Operator, hostId: string): Promise<CommandResult>;
  approveHost(operator: Operator, hostId: string): Promise<CommandResult>;
}
