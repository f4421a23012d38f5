import { ERROR_TYPES, EXECUTION_STATUSES, STEP_STATUSES } from '@rpa-analytics/contract';
import type { ErrorType, ExecutionStatus, StepStatus } from '@rpa-analytics/contract';

/**
 * Enumerations are stored as small integers: their position in the domain's list. The lists
 * are append-only for that reason.
 */
function codec<T extends string>(values: readonly T[]) {
  const codes = new Map<T, number>(values.map((value, index) => [value, index]));
  return {
    encode(value: T): number {
      const code = codes.get(value);
      if (code === undefined) throw new Error(`unknown value '${value}'`);
      return code;
    },
    decode(code: number): T {
      const value = values[code];
      if (value === undefined) throw new Error(`unknown code ${code}`);
      return value;
    },
  };
}

export const executionStatusCodec = codec<ExecutionStatus>(EXECUTION_STATUSES);
export const errorTypeCodec = codec<ErrorType>(ERROR_TYPES);
export const stepStatusCodec = codec<StepStatus>(STEP_STATUSES);
