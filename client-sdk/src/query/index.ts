/** The search language, shared by the server and apps: parse or validate a query, fold text as search does. */
export * from './ast.js';
export { oneDeletions, osaDistance, withinOneEdit } from './edit-distance.js';
export { charLength, foldPhone, foldText, words } from './fold.js';
export { type FreeTextMatch, matchFreeText, TYPO_MIN_LENGTH } from './free-text.js';
export { CONTAINS_MIN_LENGTH, dateRange, parseQuery, QUERY_MAX_CLAUSES, QUERY_MAX_DEPTH, QUERY_MAX_LENGTH, QuerySyntaxError, queryError } from './parser.js';
