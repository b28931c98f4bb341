// Compiled (tsc --strict --noEmit) against the client types openapi-typescript generates from
// the served document (test_openapi_contract.sh): the Job and Provider types must exist and
// carry the fields with their JSON types.
import type { components, paths } from "./lamda-api";

type Job = components["schemas"]["Job"];
type Provider = components["schemas"]["Provider"];
type JobList = paths["/api/v1/jobs"]["get"]["responses"][200]["content"]["application/json"];

export function describe(job: Job, provider: Provider, page: JobList): string {
  const status: "created" | "assigned" | "running" | "completed" | "failed" | "confirmed" | "paid" | "cancelled" | "undelivered" | "stalled" = job.status;
  const output: string | null = job.output_file_cid;
  const block: number = job.created_block;
  const vram: number = provider.vram;
  const online: boolean = provider.is_online;
  const first: Job | undefined = page.data.jobs[0];
  return `${job.id} ${status} ${output ?? "-"} ${block} on ${provider.wallet_address} (${vram} MiB, ${online}) ${page.data.total} ${first?.job_id ?? ""}`;
}
