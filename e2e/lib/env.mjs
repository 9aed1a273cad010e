// Where the server under test is and who may log in, as e2e/run hands them over.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: start the browser tests with e2e/run`);
  }
  return value;
}

/** Base URL of the kessai server, without a trailing slash (also its public URL). */
export const baseUrl = required('KESSAI_E2E_BASE_URL').replace(/\/+$/, '');

/** The admin account created at the server's first start. */
export const admin = {
  login: process.env.KESSAI_E2E_ADMIN_LOGIN || 'admin',
  password: required('KESSAI_E2E_ADMIN_PASSWORD'),
};

/** Folder for screenshots of key pages and of failures (kept by CI). */
export const screenshotsDir =
  process.env.KESSAI_E2E_SCREENSHOTS ||
  path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'artifacts', 'screenshots');
