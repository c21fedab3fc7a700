import type { Section } from '../section.js';
import { consoleSection } from './console.js';
import { eventsSection } from './events.js';
import { exportSection } from './export.js';
import { importSection } from './import.js';
import { listSection } from './list.js';
import { loginSection } from './login.js';
import { machineSection } from './machine.js';
import { postgresSection } from './postgres.js';
import { profileSection } from './profile.js';
import { readSection } from './read.js';
import { runtimeSection } from './runtime.js';
import { searchSection } from './search.js';
import { tracingSection } from './tracing.js';
import { webhooksSection } from './webhooks.js';
import { writesSection } from './writes.js';

/**
 * Every section, in the order a full run takes them. Add new ones here (import throughput,
 * login, ...): one module each, exporting a Section.
 */
export const SECTIONS: Section[] = [
  readSection,
  writesSection,
  listSection,
  loginSection,
  importSection,
  exportSection,
  postgresSection,
  profileSection,
  webhooksSection,
  tracingSection,
  eventsSection,
  consoleSection,
  searchSection,
  machineSection,
  runtimeSection,
];
