/** Discord refuses messages over 2000 characters (UTF-16 units). */
export const MAX_MESSAGE_LENGTH = 2000;
