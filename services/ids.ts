/** Ids are UUIDs; anything else cannot name a row, so it is not found without asking Postgres (which would reject it). */
export const isUuid = (s: string): boolean => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);
