import type { ZodError } from 'zod';

export interface FieldIssue {
  path: string;
  message: string;
}

/** zod issues → the contract's `[{ path, message }]`, one per bad field. */
export function toFieldIssues(issues: ZodError['issues']): FieldIssue[] {
  const seen = new Set<string>();
  const out: FieldIssue[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) push([...issue.path, key].join('.'), 'Unknown field');
    } else {
      push(issue.path.map(String).join('.'), issue.message);
    }
  }
  return out;

  function push(path: string, message: string) {
    if (seen.has(path)) return;
    seen.add(path);
    out.push({ path, message });
  }
}
