import type { Customer } from '@carly/client';

/** The form's fields as text, the way inputs hold them. */
export interface CustomerFields {
  email: string;
  firstName: string;
  lastName: string;
  phone: string;
  company: string;
  line1: string;
  line2: string;
  city: string;
  region: string;
  postalCode: string;
  country: string;
  /** One `key=value` per line. */
  metadata: string;
}

export const EMPTY_FIELDS: CustomerFields = {
  email: '',
  firstName: '',
  lastName: '',
  phone: '',
  company: '',
  line1: '',
  line2: '',
  city: '',
  region: '',
  postalCode: '',
  country: '',
  metadata: '',
};

export function fieldsOf(c: Customer): CustomerFields {
  return {
    email: c.email,
    firstName: c.firstName,
    lastName: c.lastName,
    phone: c.phone ?? '',
    company: c.company ?? '',
    line1: c.address?.line1 ?? '',
    line2: c.address?.line2 ?? '',
    city: c.address?.city ?? '',
    region: c.address?.region ?? '',
    postalCode: c.address?.postalCode ?? '',
    country: c.address?.country ?? '',
    metadata: Object.entries(c.metadata)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
  };
}

const orNull = (s: string) => (s.trim() === '' ? null : s);

/**
 * The API input the fields mean: empty optional fields are null, an address only when any of its
 * fields is filled. Validation is left to the shared zod schemas (the server's own rules).
 */
export function inputOf(f: CustomerFields) {
  const anyAddress = [f.line1, f.line2, f.city, f.region, f.postalCode, f.country].some((s) => s.trim() !== '');
  const metadata: Record<string, string> = {};
  for (const line of f.metadata.split('\n')) {
    if (line.trim() === '') continue;
    const eq = line.indexOf('=');
    if (eq < 0) metadata[line.trim()] = '';
    else metadata[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return {
    email: f.email,
    firstName: f.firstName,
    lastName: f.lastName,
    phone: orNull(f.phone),
    company: orNull(f.company),
    address: anyAddress
      ? { line1: f.line1, line2: orNull(f.line2), city: f.city, region: orNull(f.region), postalCode: orNull(f.postalCode), country: f.country }
      : null,
    metadata,
  };
}

/** Which form field an issue path (`address.country`, `metadata.plan`) belongs to. */
export function fieldOfIssue(path: string): keyof CustomerFields | 'form' {
  const [head, sub] = path.split('.');
  if (head === 'address') return (sub as keyof CustomerFields | undefined) ?? 'line1';
  if (head && head in EMPTY_FIELDS) return head as keyof CustomerFields;
  return 'form';
}
