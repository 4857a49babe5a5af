/**
 * Group names: what people type in a console ("Salle 12", "Lab-B"), so letters of any script,
 * digits, spaces and a little punctuation; 1-64 characters, no control characters, no leading or
 * trailing space (two names differing only there would look the same).
 */
const GROUP_NAME = /^[\p{L}\p{N}](?:[\p{L}\p{N} ._()+-]*[\p{L}\p{N}._()+-])?$/u;

export function isValidGroupName(name: string): boolean {
  return name.length <= 64 && GROUP_NAME.test(name);
}
