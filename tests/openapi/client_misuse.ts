// Must NOT compile (test_openapi_contract.sh): proves the generated types are exact, not any.
import type { components } from "./lamda-api";

type Job = components["schemas"]["Job"];

export const block: string = ({} as Job).created_block; // a number, not a string
export const gone: unknown = ({} as Job).jobid; // no such field
