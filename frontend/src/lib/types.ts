/** Shapes of the exchange's answers, as its OpenAPI schema describes them. */

export type Role = "admin" | "org_admin" | "doctor" | "lab_technician" | "pharmacist" | "patient";
export type MemberRole = Exclude<Role, "admin">;
export type OrganizationType = "hospital" | "clinic" | "laboratory" | "pharmacy";

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  size: number;
}

export interface Message {
  message: string;
}

export interface Me {
  id: string;
  email: string;
  full_name: string;
  phone: string | null;
  role: Role;
  organization_id: string | null;
  email_verified: boolean;
  totp_enabled: boolean;
  created_at: string;
  last_login_at: string | null;
  organization: { id: string; name: string; type: OrganizationType } | null;
}

export interface RegisterBody {
  name: string;
  email: string;
  contact: string;
  type: OrganizationType;
  location: string;
  password: string;
  privacy_accepted: boolean;
  full_name?: string;
}

export interface Organization {
  id: string;
  name: string;
  type: OrganizationType;
  email: string;
  contact: string;
  location: string;
  min_cohort_k: number;
  requires_output_review: boolean;
  active: boolean;
  created_at: string;
}

export interface Member {
  id: string;
  email: string;
  full_name: string;
  role: Role;
  active: boolean;
  email_verified_at: string | null;
  created_at: string;
  last_login_at: string | null;
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface CreatedApiKey extends ApiKey {
  key: string;
}

export interface Problem {
  line: number;
  column: string;
  reason: string;
}

export interface ProblemCount {
  column: string;
  reason: string;
  rows: number;
}

export interface ValidationReport {
  rows_read: number;
  rows_accepted: number;
  rows_rejected: number;
  blank_lines: number;
  delimiter: string;
  ignored_columns: string[];
  problems: Problem[];
  problem_counts: ProblemCount[];
}

export interface StoredColumn {
  name: string;
  label: string;
  kind: string;
  unit: string | null;
  loinc: string | null;
}

export interface Dataset {
  id: string;
  name: string;
  description: string;
  category: string;
  original_filename: string;
  version: number;
  rows: number;
  upload_bytes: number;
  stored_bytes: number;
  columns: StoredColumn[];
  report: ValidationReport;
  uploaded_by_user_id: string | null;
  created_at: string;
}

export interface ColumnProfile {
  name: string;
  kind: string;
  unit: string | null;
  count: number;
  missing: number;
  min: number | string | null;
  max: number | string | null;
  mean: number | null;
  distinct: number | null;
}

export interface DatasetDetail extends Dataset {
  profile: { rows: number; columns: ColumnProfile[] };
}

export interface CatalogColumn {
  name: string;
  label: string;
  kind: string;
  unit: string | null;
  loinc: string | null;
  minimum: number | null;
  maximum: number | null;
  required: boolean;
  aliases: string[];
  codes: string[] | null;
  pattern: string | null;
}

export interface CatalogCategory {
  category: string;
  description: string;
  columns: CatalogColumn[];
}

export type ComputationStatus =
  | "draft"
  | "pending_approval"
  | "running"
  | "awaiting_release"
  | "completed"
  | "failed"
  | "cancelled"
  | "expired";

export interface ComputationSummary {
  id: string;
  title: string;
  analysis: string;
  protocol: string;
  status: ComputationStatus;
  current_round: number;
  requester_organization_id: string;
  deadlines: { acceptance_at: string; round_at: string | null; expires_at: string };
  failure_reason: string | null;
  result_id: string | null;
  created_at: string;
}

export interface Invitation {
  computation_id: string;
  title: string;
  analysis: string;
  protocol: string;
  requester_organization_name: string;
  organizations: string[];
  acceptance_deadline_at: string;
}

export interface AuditEvent {
  seq: number;
  created_at: string;
  action: string;
  outcome: string;
  actor_user_id: string | null;
  actor_email: string | null;
  organization_id: string | null;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  request_id: string | null;
  details: Record<string, unknown>;
  hash: string;
}

export interface AuditReport {
  scope: string;
  chain: { intact: boolean; events: number; first_bad_seq: number | null; reason: string | null };
  events: Page<AuditEvent>;
}
