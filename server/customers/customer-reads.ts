import type { Customer } from '../../client-sdk/src/schemas/customer.js';
import { mapRead, type PreparedRead, type ReadLane } from '../db/read-lane.js';
import { type CustomerRow, customerFromRow } from './customer.mapper.js';
import type { PageStatement } from './page-statement.js';

/** The customers feature's statements on the read lane (tracing names its spans after the text). */
export const CUSTOMER_READS = {
  byEmail: {
    sqlite: 'select public_id, email, first_name, last_name, phone, company, address, metadata, created_at, updated_at, version from customers where email = ?',
    postgresql:
      'select public_id, email, first_name, last_name, phone, company, address, metadata, created_at, updated_at, version from customers where email = $1',
  },
} as const;

/**
 * The customer reads nearly every request makes — one customer by email, a page of customers —
 * on the read lane (db/read-lane.ts), checked against the ORM's answers by test/read-lane.test.ts
 * and test/list-lane.test.ts.
 */
export class CustomerReads {
  private readonly byEmail: PreparedRead<Omit<CustomerRow, 'id' | 'last_name_key'>>;
  /** List pages' statements by text: a few dozen shapes at most (page-statement.ts). */
  private readonly pages = new Map<string, PreparedRead<CustomerRow>>();

  constructor(private readonly lane: ReadLane) {
    this.byEmail = lane.prepare({ name: 'carly_customer_by_email', sql: CUSTOMER_READS.byEmail[lane.dialect] });
  }

  customer(email: string): Customer | null | Promise<Customer | null> {
    return mapRead(this.byEmail.one([email]), (row) => (row ? customerFromRow(row) : null));
  }

  /** A page of customer rows: one of list's statements (page-statement.ts), prepared once per distinct text. */
  customerPage({ sql, params }: PageStatement): CustomerRow[] | Promise<CustomerRow[]> {
    let statement = this.pages.get(sql);
    if (!statement) {
      statement = this.lane.prepare({ name: `carly_customer_page_${this.pages.size + 1}`, sql, numbered: true });
      this.pages.set(sql, statement);
    }
    return statement.all(params);
  }
}
