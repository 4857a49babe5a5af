/** Closed list of the PXE domain's error codes. */
export type PxeErrorCode = 'PXE_TOOL_MISSING' | 'PXE_NO_INTERFACE_ADDRESS' | 'PXE_TFTP_ROOT';

/** dnsmasq or the iPXE binaries are not installed: PXE stays off, the rest of the server runs. */
export class PxeToolMissingError extends Error {
  readonly code: PxeErrorCode = 'PXE_TOOL_MISSING';
  readonly missing: readonly string[];
  readonly hint = 'apt-get install dnsmasq ipxe';
  constructor(missing: readonly string[]) {
    super(`PXE is configured but ${missing.join(', ')} not found: apt-get install dnsmasq ipxe`);
    this.name = 'PxeToolMissingError';
    this.missing = missing;
  }
}

/** BRUME_PXE_NEXT_SERVER unset and the interface has no IPv4 address to use instead. */
export class PxeInterfaceAddressError extends Error {
  readonly code: PxeErrorCode = 'PXE_NO_INTERFACE_ADDRESS';
  constructor(iface: string) {
    super(`interface ${iface} has no IPv4 address: set BRUME_PXE_NEXT_SERVER or configure the interface`);
    this.name = 'PxeInterfaceAddressError';
  }
}

/** The TFTP root could not be prepared (permissions, disk). */
export class PxeTftpRootError extends Error {
  readonly code: PxeErrorCode = 'PXE_TFTP_ROOT';
  constructor(root: string, cause: unknown) {
    super(`cannot prepare TFTP root ${root}: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = 'PxeTftpRootError';
  }
}
