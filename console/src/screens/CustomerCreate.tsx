import { CustomerCreateInput } from '@carly/client';
import { carly, queryClient, trpc } from '../carly.js';
import { customerPath, navigate } from '../router.js';
import { CustomerForm } from './CustomerForm.js';
import { EMPTY_FIELDS } from './customer-form.js';

export function CustomerCreate() {
  return (
    <>
      <h1>New customer</h1>
      <CustomerForm
        initial={EMPTY_FIELDS}
        schema={CustomerCreateInput}
        emailEditable
        submitLabel="Create customer"
        toInput={(input) => input}
        onSubmit={async (input) => {
          const created = await carly.customers.create(input as Parameters<typeof carly.customers.create>[0]);
          await queryClient.invalidateQueries({ queryKey: trpc.customers.list.pathKey() });
          navigate(customerPath(created.email));
        }}
        onCancel={() => navigate('/customers')}
      />
    </>
  );
}
