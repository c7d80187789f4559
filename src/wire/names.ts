// Which names may travel: node and org names end up in URL paths and in "org/name" strings,
// provider names end up in an executable's file name on every node of the fleet.

/** Chef's node and organization names, plus `@` and `:` seen in client names; never `/`. */
const NODE_PART = /^[A-Za-z0-9_.:@-]{1,255}$/;

export function isValidNodePart(value: string): boolean {
  return NODE_PART.test(value) && value !== '.' && value !== '..';
}

/**
 * A provider becomes `foodtruck-provider-<provider>` on the node, so it must stay a plain file
 * name: no path separators, no `..`, no spaces or control characters.
 */
const PROVIDER = /^[A-Za-z0-9_+-](?:[A-Za-z0-9_.+-]{0,126}[A-Za-z0-9_+-])?$/;

export function isValidProviderName(value: string): boolean {
  return PROVIDER.test(value) && !value.includes('..');
}

export const PROVIDER_EXECUTABLE_PREFIX = 'foodtruck-provider-';
