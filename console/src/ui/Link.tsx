import type { ReactNode } from 'react';
import { followLink, hrefOf } from '../router.js';

export function Link({ to, children, current }: { to: string; children: ReactNode; current?: boolean }) {
  return (
    <a href={hrefOf(to)} onClick={(e) => followLink(e, to)} aria-current={current ? 'page' : undefined}>
      {children}
    </a>
  );
}
