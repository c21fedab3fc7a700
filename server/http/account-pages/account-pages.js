// The reset and verify pages (server/http/account-pages.ts): read the token from the mailed link,
// take it out of the address bar, and call the API next to the page. Served as a file, because the
// CSP (script-src 'self') forbids inline scripts.
(() => {
  var main = document.querySelector('main[data-page]');
  if (!main) return;
  var page = main.getAttribute('data-page');
  var token = new URLSearchParams(window.location.search).get('token');
  // Out of the address bar and the history at once: not shown, bookmarked, or sent on.
  if (window.location.search) window.history.replaceState(null, '', window.location.pathname);

  var form = document.getElementById('form');
  var message = document.getElementById('message');
  var button = form.querySelector('button');
  // The API lives where the page does: <base>/reset → <base>/auth/reset/confirm.
  var base = window.location.pathname.replace(/[^/]*$/, '');

  function say(text, kind) {
    message.textContent = text;
    message.className = kind || '';
  }

  function reason(body) {
    if (body?.issues?.length) {
      return body.issues.map((issue) => issue.message).join(' ');
    }
    return body?.message || 'Something went wrong; try again in a moment.';
  }

  function post(path, payload) {
    return fetch(base + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
      credentials: 'omit',
      cache: 'no-store',
      referrerPolicy: 'no-referrer',
    }).then((res) =>
      res.json().then(
        (body) => ({ ok: res.ok, body: body }),
        () => ({ ok: res.ok, body: null }),
      ),
    );
  }

  if (!token) {
    say('This link is incomplete: open the link from the mail again.', 'error');
    button.disabled = true;
    return;
  }

  var actions = {
    reset: () => {
      var password = document.getElementById('password').value;
      if (password !== document.getElementById('confirm').value) {
        return Promise.resolve({ error: 'The two passwords do not match.' });
      }
      return post('auth/reset/confirm', { token: token, newPassword: password }).then((r) =>
        r.ok ? { done: 'Your password is set. Sign in with it; every session of your account has ended.' } : { error: reason(r.body) },
      );
    },
    verify: () =>
      post('auth/verify', { token: token }).then((r) => {
        if (!r.ok) return { error: reason(r.body) };
        return { done: r.body?.customer ? 'Your address is confirmed: your customer record is now linked to your account.' : 'Your address is confirmed.' };
      }),
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    button.disabled = true;
    say('');
    actions[page]().then(
      (outcome) => {
        if (outcome.done) {
          say(outcome.done, 'done');
          form.hidden = true;
        } else {
          say(outcome.error, 'error');
          button.disabled = false;
        }
      },
      () => {
        say('The server could not be reached; try again in a moment.', 'error');
        button.disabled = false;
      },
    );
  });
})();
