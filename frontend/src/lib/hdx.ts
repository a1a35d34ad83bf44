/** Typed calls to the exchange's endpoints, grouped as the API documentation groups them. */

import { api } from "./api";
import type {
  AcceptBody,
  AgentKey,
  ApiKey,
  BudgetPolicy,
  AuditReport,
  CatalogCategory,
  Collaborator,
  Computation,
  ComputationResult,
  ComputationSpec,
  ComputationStatus,
  ComputationSummary,
  CreatedApiKey,
  Dataset,
  DatasetBudget,
  DatasetDetail,
  Invitation,
  Me,
  Member,
  MemberRole,
  Message,
  Organization,
  Page,
  RegisterBody,
  ReleaseBody,
  TotpSetup,
} from "./types";

export const accounts = {
  me: () => api<Me>("/me"),
  register: (body: RegisterBody) => api<Message>("/register", { method: "POST", body, auth: false }),
  sendVerificationCode: (email: string) =>
    api<Message>("/send-otp", { method: "POST", body: { email, purpose: "verify_email" }, auth: false }),
  verifyEmail: (email: string, code: string) =>
    api<Message>("/verify-otp", { method: "POST", body: { email, code }, auth: false }),
  forgotPassword: (email: string) =>
    api<Message>("/forgot-password", { method: "POST", body: { email }, auth: false }),
  verifyResetCode: (email: string, code: string) =>
    api<{ reset_token: string; expires_in: number }>("/verify-reset-otp", {
      method: "POST",
      body: { email, code },
      auth: false,
    }),
  resetPassword: (resetToken: string, newPassword: string) =>
    api<Message>("/reset-password", {
      method: "POST",
      body: { reset_token: resetToken, new_password: newPassword },
      auth: false,
    }),
};

export const organization = {
  mine: () => api<Organization>("/organizations/me"),
  updateSettings: (minCohortK: number, requiresOutputReview: boolean, requireDifferentialPrivacy: boolean) =>
    api<Organization>("/organizations/me/settings", {
      method: "PUT",
      body: {
        min_cohort_k: minCohortK,
        requires_output_review: requiresOutputReview,
        require_differential_privacy: requireDifferentialPrivacy,
      },
    }),
  members: (page: number) => api<Page<Member>>("/organizations/me/users", { query: { page, size: 20 } }),
  invite: (email: string, fullName: string, role: MemberRole) =>
    api<Member>("/organizations/me/users", { method: "POST", body: { email, full_name: fullName, role } }),
  updateMember: (id: string, change: { role?: MemberRole; active?: boolean }) =>
    api<Member>(`/organizations/me/users/${encodeURIComponent(id)}`, { method: "PATCH", body: change }),
  deactivateMember: (id: string) =>
    api<void>(`/organizations/me/users/${encodeURIComponent(id)}`, { method: "DELETE" }),
  apiKeys: () => api<ApiKey[]>("/organizations/me/api-keys"),
  createApiKey: (name: string) =>
    api<CreatedApiKey>("/organizations/me/api-keys", { method: "POST", body: { name } }),
  revokeApiKey: (id: string) =>
    api<ApiKey>(`/organizations/me/api-keys/${encodeURIComponent(id)}`, { method: "DELETE" }),
  agentKeys: () => api<AgentKey[]>("/organizations/me/agent-keys"),
  privacyBudget: () => api<BudgetPolicy>("/organizations/me/privacy-budget"),
  setPrivacyBudget: (datasetEpsilon: number) =>
    api<BudgetPolicy>("/organizations/me/privacy-budget", { method: "PUT", body: { dataset_epsilon: datasetEpsilon } }),
};

export const datasets = {
  catalog: () => api<CatalogCategory[]>("/datasets/catalog"),
  list: (page: number, size: number, category?: string) =>
    api<Page<Dataset>>("/uploads", { query: { page, size, category } }),
  get: (id: string) => api<DatasetDetail>(`/uploads/${encodeURIComponent(id)}`),
  upload: (file: File, category: string, name: string, description: string) => {
    const form = new FormData();
    form.set("category", category);
    if (name) form.set("name", name);
    if (description) form.set("description", description);
    form.set("file", file);
    return api<Dataset>("/upload", { method: "POST", body: form });
  },
  exportCsv: (id: string) => api<Blob>(`/uploads/${encodeURIComponent(id)}/export`),
  remove: (id: string) => api<void>(`/uploads/${encodeURIComponent(id)}`, { method: "DELETE" }),
  privacyBudget: (id: string, page: number) =>
    api<DatasetBudget>(`/datasets/${encodeURIComponent(id)}/privacy-budget`, { query: { page, size: 20 } }),
};

export const computations = {
  list: (page: number, size: number, status?: ComputationStatus) =>
    api<Page<ComputationSummary>>("/secure-computations", { query: { page, size, status } }),
  inbox: () => api<Invitation[]>("/secure-computations/inbox"),
  organizations: (page: number) =>
    api<Page<Collaborator>>("/secure-computations/organizations", { query: { page, size: 100 } }),
  initialize: (spec: ComputationSpec) =>
    api<Computation>("/secure-computations/initialize", { method: "POST", body: spec }),
  status: (id: string) => api<Computation>(`/secure-computations/${encodeURIComponent(id)}/status`),
  accept: (id: string, body: AcceptBody) =>
    api<Computation>(`/secure-computations/${encodeURIComponent(id)}/accept`, { method: "POST", body }),
  decline: (id: string, reason: string) =>
    api<Computation>(`/secure-computations/${encodeURIComponent(id)}/decline`, {
      method: "POST",
      body: reason ? { reason } : {},
    }),
  result: (resultId: string) => api<ComputationResult>(`/secure-computations/result/${encodeURIComponent(resultId)}`),
  cancel: (id: string) => api<Computation>(`/secure-computations/${encodeURIComponent(id)}/cancel`, { method: "POST" }),
  release: (id: string, body: ReleaseBody) =>
    api<ComputationResult>(`/secure-computations/${encodeURIComponent(id)}/release`, { method: "POST", body }),
};

export interface AuditFilters {
  start_date?: string;
  end_date?: string;
  action?: string;
}

export const audit = {
  report: (page: number, filters: AuditFilters) =>
    api<AuditReport>("/security/audit-report", { query: { page, size: 50, ...filters } }),
};

export const platform = {
  organizations: () => api<Page<Organization & { user_count: number }>>("/organizations", { query: { page: 1, size: 1 } }),
};

/** The signed-in user's own account: profile, password and two-factor sign-in. */
export const myAccount = {
  updateProfile: (body: { full_name: string; phone: string }) =>
    api<Me>("/update-profile", { method: "PUT", body }),
  /** Ends every sign-in of the account, this one included. */
  changePassword: (body: { current_password: string; new_password: string }) =>
    api<Message>("/change-password", { method: "POST", body }),
  totpSetup: () => api<TotpSetup>("/auth/totp/setup", { method: "POST" }),
  totpEnable: (body: { code: string }) => api<Message>("/auth/totp/enable", { method: "POST", body }),
  totpDisable: (body: { password: string; code: string }) =>
    api<Message>("/auth/totp/disable", { method: "POST", body }),
};
