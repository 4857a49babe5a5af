/**
 * Image names become folder names in the image store, so they are never paths: only
 * `[A-Za-z0-9._-]`, 1-64 characters, never `.` or `..`. No '/', '\\', NUL, shell or Unicode
 * look-alike characters can pass (fullwidth dots are not ASCII).
 */
export const IMAGE_NAME_MAX_LENGTH = 64;

const IMAGE_NAME = /^[A-Za-z0-9._-]{1,64}$/;

export function isValidImageName(name: string): boolean {
  return IMAGE_NAME.test(name) && name !== '.' && name !== '..';
}
