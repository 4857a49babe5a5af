import { BrumeError } from '../graphql/brume-error.ts';
import type { MacRejection } from './mac-address.ts';

export class InvalidMacError extends BrumeError {
  readonly code = 'INVALID_MAC';
  readonly mac: string;
  readonly reason: MacRejection | 'NONE';
  constructor(mac: string, reason: MacRejection | 'NONE') {
    super(
      reason === 'NONE'
        ? 'A host needs at least one MAC address'
        : `Invalid MAC address (${reason.toLowerCase()}): expected a unicast MAC like 52:54:00:ab:cd:ef`,
    );
    // Echo at most a MAC's worth: the input may be 1 MB of anything.
    this.mac = mac.slice(0, 32);
    this.reason = reason;
  }
}

export class InvalidHostNameError extends BrumeError {
  readonly code = 'INVALID_HOST_NAME';
  readonly hostName: string;
  constructor(hostName: string) {
    super('Host names are 1-15 letters, digits or "-", not starting or ending with "-"');
    this.hostName = hostName.slice(0, 32);
  }
}

export class DuplicateHostNameError extends BrumeError {
  readonly code = 'DUPLICATE_HOST_NAME';
  readonly hostName: string;
  constructor(hostName: string) {
    super(`A host named ${hostName} already exists`);
    this.hostName = hostName;
  }
}

export class DuplicateMacError extends BrumeError {
  readonly code = 'DUPLICATE_MAC';
  readonly mac: string;
  constructor(mac: string) {
    super(`MAC ${mac} already belongs to a host`);
    this.mac = mac;
  }
}

export class HostNotFoundError extends BrumeError {
  readonly code = 'HOST_NOT_FOUND';
  readonly id: string;
  constructor(id: string) {
    super('No such host');
    this.id = id;
  }
}

/** The host already has an active imaging task (queued, checked in or in progress). */
export class HostBusyError extends BrumeError {
  readonly code = 'HOST_BUSY';
  readonly hostId: string;
  constructor(hostId: string) {
    super('This host already has an active task');
    this.hostId = hostId;
  }
}

/** A host registered from the boot menu must be approved before it is imaged. */
export class HostPendingError extends BrumeError {
  readonly code = 'HOST_PENDING';
  readonly hostId: string;
  constructor(hostId: string) {
    super('This host is pending approval');
    this.hostId = hostId;
  }
}
