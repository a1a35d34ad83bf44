import type { Role } from "./types";

export const STAFF: Role[] = ["org_admin", "doctor", "lab_technician", "pharmacist"];

/**
 * Which pages each role finds in the menu. The exchange enforces the permissions itself; this only
 * keeps people from being offered pages their role cannot use.
 */
export const NAVIGATION: { href: string; label: string; roles: Role[] }[] = [
  { href: "/", label: "Overview", roles: [...STAFF, "patient", "admin"] },
  { href: "/upload/", label: "Upload data", roles: STAFF },
  { href: "/datasets/", label: "Datasets", roles: STAFF },
  { href: "/computations/", label: "Computations", roles: [...STAFF, "patient"] },
  { href: "/approvals/", label: "Approvals", roles: ["org_admin"] },
  { href: "/audit/", label: "Audit trail", roles: ["admin", "org_admin"] },
  { href: "/settings/", label: "Settings", roles: [...STAFF, "patient", "admin"] },
];

export const ROLE_LABELS: Record<Role, string> = {
  admin: "Platform administrator",
  org_admin: "Organization administrator",
  doctor: "Doctor",
  lab_technician: "Lab technician",
  pharmacist: "Pharmacist",
  patient: "Patient",
};
