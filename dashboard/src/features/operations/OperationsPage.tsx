// The operations view: service health and automatic pauses, and the reconciler's differences.
import { Link } from "react-router-dom";

import { PageHeading } from "@/components/Layout";

import { ReconciliationPanel } from "./ReconciliationPanel";
import { ServiceHealthPanel } from "./ServiceHealthPanel";

export default function OperationsPage() {
  return (
    <>
      <PageHeading title="Operations">
        <Link to="/operations/audit" className="btn-secondary">
          Audit log
        </Link>
      </PageHeading>
      <div className="grid gap-4 xl:grid-cols-2">
        <ServiceHealthPanel />
        <ReconciliationPanel />
      </div>
    </>
  );
}
