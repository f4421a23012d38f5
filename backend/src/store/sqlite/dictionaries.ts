import type Database from 'better-sqlite3';
import { Dictionary } from './dictionary';

export interface Dictionaries {
  workflows: Dictionary;
  robots: Dictionary;
  hosts: Dictionary;
  versions: Dictionary;
  stepNames: Dictionary;
  errorMessages: Dictionary;
}

export function openDictionaries(db: Database.Database): Dictionaries {
  return {
    workflows: new Dictionary(db, 'workflows'),
    robots: new Dictionary(db, 'robots'),
    hosts: new Dictionary(db, 'hosts'),
    versions: new Dictionary(db, 'versions'),
    stepNames: new Dictionary(db, 'step_names'),
    errorMessages: new Dictionary(db, 'error_messages'),
  };
}

export function resetDictionaries(dictionaries: Dictionaries): void {
  for (const dictionary of Object.values(dictionaries)) dictionary.reset();
}
