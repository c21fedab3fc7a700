import { QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { queryClient } from './carly.js';
import './styles.css';
import { config as zodConfig } from 'zod';

// zod compiles fast parsers with `new Function` when eval is allowed; the console's CSP forbids
// eval, and zod's probe for it would log a CSP violation. Interpreted parsing is plenty here.
zodConfig({ jitless: true });

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <App />
    </QueryClientProvider>
  </StrictMode>,
);
