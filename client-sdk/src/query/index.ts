/** The search language, shared by the server and apps: parse or validate a query, fold text as search does. */
export * from './ast.js';
export { CONTAINS_MIN_LENGTH, QUERY_MAX_CLAUSES, QUERY_MAX_DEPTH, QUERY_MAX_LENGTH, QuerySyntaxError, dateRange, parseQuery, queryError } from './parser.js';
export { charLength, foldPhone, foldText, words } from './fold.js';
export { oneDeletions, osaDistance, withinOneEdit } from './edit-distance.js';
export { TYPO_MIN_LENGTH, matchFreeText, type FreeTextMatch } from './free-text.js';
