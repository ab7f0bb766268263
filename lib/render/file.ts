/** What a renderer produces: a file for a host, written whole or merged into an ini. */
import type { StepFile } from '../plan/step';

/** The pseudo-host under which client-side files are rendered (host keys cannot start with '_'). */
export const CLIENT_HOST = '_client';

export type FileRole =
  | 'dm.ini'
  | 'dmmal.ini'
  | 'dmarch.ini'
  | 'dmtimer.ini'
  | 'dmwatcher.ini'
  | 'dmmonitor.ini'
  | 'dmmpp.ini'
  | 'dmdcr.ini'
  | 'dm_svc.conf'
  | 'mp.ini';

export interface RenderedFile {
  host: string;
  /** Absolute path on the host. */
  path: string;
  role: FileRole;
  /**
   * 'file': written whole. 'ini-patch': keys merged into an existing ini that DM tools wrote
   * (dminit's dm.ini, the DMDSC cluster's dmdcr.ini); rendered to `<path>.patch`.
   */
  kind: 'file' | 'ini-patch';
  content: string;
  /** Instance the file belongs to, when it belongs to one. */
  instance?: string;
}

/** A rendered file as a step parameter (the step writes it where it says). */
export const fileOf = (f: RenderedFile): StepFile => ({
  path: f.path,
  role: f.role,
  kind: f.kind,
  content: f.content,
});

/** host:port as DM's files and dm_svc.conf write it: an IPv6 address in brackets. */
export const hostPort = (ip: string, port: number): string => `${ip.includes(':') ? `[${ip}]` : ip}:${port}`;
