/**
 * The columns of the SQLite FTS5 index (customers_search), in its order: external content over
 * customers, so whoever writes it (triggers, the search indexer) passes these columns' values.
 * Fixed when the table was made (Migration20261206172251); changing it needs a migration.
 */
export const FTS_COLUMNS: readonly string[] = [
  'email',
  'first_name_fold',
  'last_name_fold',
  'name_fold',
  'phone_fold',
  'company_fold',
  'city_fold',
  'search_words',
  'metadata_fold',
];
