/** The length of the UTF-8 byte order mark `bytes` start with: 3, or 0. A file's first line or element starts after it. */
export function byteOrderMarkLength(bytes: Uint8Array): number {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
}
