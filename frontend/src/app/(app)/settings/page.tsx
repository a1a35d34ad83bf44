"use client";

import type { ReactNode } from "react";
import { ErrorAlert } from "@/components/Alert";
import { Loading } from "@/components/Loading";
import { PageHeader } from "@/components/PageHeader";
import { AccountSection } from "@/components/settings/AccountSection";
import { AgentKeysSection } from "@/components/settings/AgentKeysSection";
import { ApiKeysSection } from "@/components/settings/ApiKeysSection";
import { DisclosureSettings } from "@/components/settings/DisclosureSettings";
import { MembersSection } from "@/components/settings/MembersSection";
import { PrivacyBudgetSettings } from "@/components/settings/PrivacyBudgetSettings";
import { humanize } from "@/lib/format";
import { organization } from "@/lib/hdx";
import { useResource } from "@/lib/hooks";
import { useSession } from "@/lib/session";

function Section({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section aria-labelledby={id} className="rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
      <h2 id={id} className="mb-4 text-lg font-semibold text-slate-900">
        {title}
      </h2>
      {children}
    </section>
  );
}

function OrganizationSections({ me }: { me: string }) {
  const org = useResource(organization.mine, "organization");

  if (org.loading && !org.data) return <Loading label="Loading your organization…" />;
  if (org.error || !org.data) return <ErrorAlert error={org.error} />;
  const current = org.data;
  return (
    <>
      <p className="text-slate-700">
        Organization: {current.name} · {humanize(current.type)} · {current.location} · {current.email}
      </p>
      <Section id="disclosure-title" title="Disclosure control">
        <DisclosureSettings key={current.id} current={current} onSaved={org.reload} />
      </Section>
      <Section id="members-title" title="People">
        <MembersSection me={me} />
      </Section>
      <Section id="budget-title" title="Differential privacy budget">
        <PrivacyBudgetSettings />
      </Section>
      <Section id="keys-title" title="API keys for party agents">
        <ApiKeysSection />
      </Section>
      <Section id="agent-keys-title" title="Party agent keys">
        <AgentKeysSection />
      </Section>
    </>
  );
}

export default function SettingsPage() {
  const { user } = useSession();

  if (!user) return <Loading label="Restoring your session…" />;
  const admin = user.role === "org_admin";
  return (
    <>
      <PageHeader
        title="Settings"
        description={
          admin
            ? "Your account, and the settings of your organization."
            : "Your account: profile, password and two-factor sign-in."
        }
      />
      <div className="space-y-6">
        <Section id="account-title" title="Account">
          <AccountSection user={user} />
        </Section>
        {admin && <OrganizationSections me={user.id} />}
      </div>
    </>
  );
}
