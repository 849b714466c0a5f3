// Opening the learner's default browser on the page, where the machine has one. The token never appears on
// a command line (other local users can read those): the browser is pointed at a file only this user can
// read, which redirects to the page's address.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { escapeHtml } from './escape';

/** The command that opens a file or URL in the default browser, or undefined where there is no desktop to open it on. */
export function browserCommand(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): { command: string; args: string[] } | undefined {
  if (platform === 'darwin') return { command: 'open', args: [] };
  if (platform === 'win32') return { command: 'cmd', args: ['/c', 'start', '""'] };
  // Without a display, xdg-open would fall back to a text browser in this very terminal.
  if (!env.DISPLAY && !env.WAYLAND_DISPLAY) return undefined;
  return { command: 'xdg-open', args: [] };
}

/** A page that sends the browser on to `url`, in a new folder only this user can read; `remove` deletes it. */
export function redirectFile(url: string): { path: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'doplab-open-'));
  const path = join(dir, 'open.html');
  const href = escapeHtml(url);
  writeFileSync(path, `<!DOCTYPE html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${href}"><title>doplab open</title><p><a href="${href}">Open the lab page</a></p>\n`, { mode: 0o600 });
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Asks the desktop to open `path` in the default browser. Never throws: false when there is no browser to
 * ask or the command could not be started, and the caller tells the learner to open the address themselves.
 */
export function openInBrowser(path: string, platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const opener = browserCommand(platform, env);
  if (!opener) return Promise.resolve(false);
  return new Promise((resolve) => {
    try {
      const child = spawn(opener.command, [...opener.args, path], { detached: true, stdio: 'ignore', windowsHide: true });
      child.once('error', () => resolve(false));
      child.once('spawn', () => {
        child.unref();
        resolve(true);
      });
    } catch {
      resolve(false);
    }
  });
}
