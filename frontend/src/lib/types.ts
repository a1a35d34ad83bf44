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
  require_differential_privacy: boolean;
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

export type ProtocolName = "shamir" | "secagg" | "paillier" | "hybrid";
export type ParticipantStatus = "invited" | "accepted" | "declined" | "dropped" | "submitted";
export type ResultStatus = "visible" | "awaiting_release" | "withheld";

export interface ComputationDeadlines {
  acceptance_at: string;
  round_at: string | null;
  expires_at: string;
}

export interface ComputationSummary {
  id: string;
  title: string;
  analysis: string;
  protocol: ProtocolName;
  status: ComputationStatus;
  current_round: number;
  requester_organization_id: string;
  deadlines: ComputationDeadlines;
  failure_reason: string | null;
  result_id: string | null;
  created_at: string;
}

export interface Party {
  party_index: number;
  organization_id: string;
  organization_name: string;
  status: ParticipantStatus;
  source: "vault" | "agent" | null;
  hosted: boolean;
  dataset_id: string | null;
  responded_at: string | null;
  accepted_at: string | null;
  decline_reason: string | null;
  dropped_reason: string | null;
}

/**
 * Where differential-privacy noise comes from. central: whoever first sees the exact total noises it (the
 * exchange, or the result recipient of paillier and hybrid); distributed: every party noises its own input.
 */
export type DpMode = "central" | "distributed";
export type NoiseMechanism = "laplace" | "gaussian" | "distributed_discrete_gaussian";

/** How differential-privacy noise protects a computation's result, as the exchange plans it. */
export interface PrivacyPlan {
  mode: DpMode;
  mechanism: NoiseMechanism;
  epsilon: number;
  /** 0 for Laplace noise (pure epsilon-DP). */
  delta: number;
  /** Laplace b or the Gaussian's standard deviation per unit of the most one record can change a value. */
  noise_scale: number;
  noised_by: string;
  /** Distributed mode: the noise shares of any this many contributing parties carry the whole guarantee. */
  honest_parties: number | null;
}

export interface Computation extends ComputationSummary {
  params: Record<string, unknown>;
  /** Which secure sum is running (from 1); iterative analyses (logistic regression) take one per iteration. */
  iteration: number;
  dp_mode: DpMode | null;
  differential_privacy: PrivacyPlan | null;
  threshold: number;
  min_participants: number;
  k: number;
  epsilon: number | null;
  delta: number | null;
  requester_user_id: string | null;
  started_at: string | null;
  finished_at: string | null;
  parties: Party[];
}

export interface ComputationResult {
  id: string;
  computation_id: string;
  status: ResultStatus;
  values: Record<string, unknown> | null;
  protection: Record<string, unknown>;
  /** True once the values are released to every party. */
  released: boolean;
  /** True when the values are shown only to this reviewing administrator, not released. */
  review_copy: boolean;
  waiting_for: string[];
  withheld_reason: string | null;
  created_at: string;
  released_at: string | null;
}

export interface Collaborator {
  id: string;
  name: string;
  type: OrganizationType;
}

export interface ComputationSpec {
  title: string;
  analysis: string;
  params: Record<string, unknown>;
  participants: string[];
  protocol: ProtocolName;
  threshold: number;
  min_participants: number;
  k: number;
  epsilon?: number;
  delta?: number;
  dp_mode?: DpMode;
}

export type AcceptBody = { dataset_id: string } | { source: "agent" };

export interface Invitation {
  computation_id: string;
  title: string;
  analysis: string;
  params: Record<string, unknown>;
  protocol: ProtocolName;
  threshold: number;
  min_participants: number;
  k: number;
  epsilon: number | null;
  delta: number | null;
  dp_mode: DpMode | null;
  requester_organization_id: string;
  requester_organization_name: string;
  organizations: string[];
  party_index: number;
  acceptance_deadline_at: string;
  expires_at: string;
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

export interface ReleaseBody {
  decision: "release" | "withhold";
  reason?: string;
}

export interface AgentKey {
  id: string;
  organization_id: string;
  x25519_public: string;
  ed25519_public: string;
  x25519_fingerprint: string;
  ed25519_fingerprint: string;
  created_at: string;
  api_key_id: string | null;
  hosted: boolean;
  superseded_at: string | null;
}

export interface BudgetPolicy {
  organization_id: string;
  dataset_epsilon: number;
  is_default: boolean;
  datasets_updated: number;
}

export interface LedgerEntry {
  id: string;
  reference: string;
  epsilon: number;
  delta: number;
  created_at: string;
}

export interface DatasetBudget {
  dataset_id: string;
  epsilon_total: number;
  epsilon_spent: number;
  epsilon_remaining: number;
  delta_spent: number;
  ledger: Page<LedgerEntry>;
}

/** POST /auth/totp/setup: the secret for an authenticator app, and the same as an otpauth:// URI. */
export interface TotpSetup {
  secret: string;
  otpauth_uri: string;
}
