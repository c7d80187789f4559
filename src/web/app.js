// The operators' page: plain JavaScript modules, no framework, no bundler. This entry signs in and
// out and routes the address's hash to a page; each page lives in pages/, shared pieces in widgets/.
import { KEY_STORAGE, onUnauthorized } from './widgets/api.js';
import { nextGeneration } from './widgets/view.js';
import { showJob } from './pages/job.js';
import { showJobs } from './pages/jobs.js';
import { showNewJob } from './pages/new-job.js';
import { showNodes } from './pages/nodes.js';

const signInSection = document.getElementById('sign-in');
const signInForm = document.getElementById('sign-in-form');
const signInError = document.getElementById('sign-in-error');
const keyInput = document.getElementById('admin-key');
const nav = document.getElementById('nav');
const view = document.getElementById('view');

// ---- signing in and out ----

function showSignIn(errorText) {
  nav.hidden = true;
  view.hidden = true;
  signInSection.hidden = false;
  signInError.hidden = !errorText;
  signInError.textContent = errorText ?? '';
  keyInput.focus();
}

function signOut(errorText) {
  sessionStorage.removeItem(KEY_STORAGE);
  nextGeneration();
  showSignIn(errorText);
}

onUnauthorized(signOut);

signInForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const key = keyInput.value.trim();
  if (!key) return;
  // The key is tried on a cheap admin route before it is kept.
  const response = await fetch('/admin/jobs?limit=1', { headers: { authorization: `Bearer ${key}` }, cache: 'no-store' }).catch(
    () => undefined,
  );
  if (!response) return showSignIn('The server could not be reached.');
  if (response.status === 401) return showSignIn('That key was refused.');
  if (!response.ok) return showSignIn(`The server answered ${response.status}.`);
  sessionStorage.setItem(KEY_STORAGE, key);
  keyInput.value = '';
  route();
});

document.getElementById('sign-out').addEventListener('click', () => signOut());

// ---- routing ----

function route() {
  const generation = nextGeneration();
  if (!sessionStorage.getItem(KEY_STORAGE)) return showSignIn();
  signInSection.hidden = true;
  nav.hidden = false;
  view.hidden = false;
  const hash = location.hash.replace(/^#/, '') || '/';
  const jobMatch = /^\/jobs\/([0-9a-f]{24})$/.exec(hash);
  if (jobMatch) return showJob(jobMatch[1], generation);
  if (hash === '/new') return showNewJob();
  if (hash === '/nodes') return showNodes(generation);
  return showJobs(generation);
}

window.addEventListener('hashchange', route);

route();
