import type { VariableKind, VariableOption } from '@rpa-analytics/contract';
import { EXECUTION_STATUSES } from '@rpa-analytics/contract';
import type { StoreReader } from '../store/store';

/** Options of a template variable; steps and versions can be narrowed to workflows. */
export function variableOptions(store: StoreReader, kind: VariableKind, workflows?: string[]): VariableOption[] {
  const names = (() => {
    switch (kind) {
      case 'statuses':
        return [...EXECUTION_STATUSES];
      case 'versions':
        return workflows?.length ? [...new Set(store.versionChanges({ workflows }).map((v) => v.version))].sort() : store.names('versions');
      default:
        return store.names(kind, workflows?.length ? workflows : undefined);
    }
  })();
  return names.map((name) => ({ text: name, value: name }));
}
