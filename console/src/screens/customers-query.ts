/** Customers per page, and the first page's input: one key for the screen and for the warm start. */
export const CUSTOMERS_PAGE = 25;
export const firstCustomersPage = { limit: CUSTOMERS_PAGE } as const;
