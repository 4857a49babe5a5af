/**
 * Host name rules, as FOG: 1-15 characters (the NetBIOS limit Windows applies to computer names),
 * ASCII letters, digits and '-'. A leading or trailing '-' is refused too: it is not a valid DNS label
 * and Windows setup rejects it. Names are unique without regard to case (NetBIOS ignores case).
 */
export const HOST_NAME_MAX_LENGTH = 15;

const HOST_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,13}[A-Za-z0-9])?$/;

export function isValidHostName(name: string): boolean {
  return name.length <= HOST_NAME_MAX_LENGTH && HOST_NAME.test(name);
}
