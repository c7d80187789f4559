// The name of an admin key, as FOODTRUCK_ADMIN_KEYS_FILE gives it and job answers show it
// (`created_by`, `cancelled_by`): one rule for the file's parser and the OpenAPI schema.

export const ADMIN_KEY_NAME_PATTERN = '^[A-Za-z0-9_.@-]{1,64}$';

export function isAdminKeyName(name: string): boolean {
  return new RegExp(ADMIN_KEY_NAME_PATTERN).test(name);
}
