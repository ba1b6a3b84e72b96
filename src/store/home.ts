/** Where fapi keeps its files. The CLI resolves env and flags and passes the result in. */
import os from 'node:os';
import path from 'node:path';

export interface HomeInputs {
  flag?: string;
  FAPI_HOME?: string;
  XDG_CONFIG_HOME?: string;
  userHome?: string;
}

/** `--home`, else FAPI_HOME, else $XDG_CONFIG_HOME/fapi, else ~/.config/fapi. */
export function resolveHome(inputs: HomeInputs): string {
  if (inputs.flag) return path.resolve(inputs.flag);
  if (inputs.FAPI_HOME) return path.resolve(inputs.FAPI_HOME);
  if (inputs.XDG_CONFIG_HOME) return path.join(path.resolve(inputs.XDG_CONFIG_HOME), 'fapi');
  return path.join(inputs.userHome ?? os.homedir(), '.config', 'fapi');
}

export const paths = {
  config: (home: string) => path.join(home, 'config.json'),
  profilesDir: (home: string) => path.join(home, 'profiles'),
  profileDir: (home: string, name: string) => path.join(home, 'profiles', name),
  profileFile: (home: string, name: string) => path.join(home, 'profiles', name, 'profile.json'),
  tokensFile: (home: string, name: string) => path.join(home, 'profiles', name, 'tokens.json'),
  labHome: (home: string) => path.join(home, 'lab'),
};

const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export function isValidProfileName(name: string): boolean {
  return PROFILE_NAME.test(name) && name !== '.' && name !== '..';
}
