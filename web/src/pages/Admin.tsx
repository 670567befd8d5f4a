import { EscrowPanel } from '../admin/EscrowPanel.tsx';
import { LiveSessions } from '../admin/LiveSessions.tsx';
import { Refunds } from '../admin/Refunds.tsx';
import type { Me } from '../me.ts';

/** G7: the operator's view — sessions live now with their audit trails, escrow, refunds. */
export function Admin({ me }: { me: Me }) {
  if (me.user.role !== 'admin') return <p className="error">This page is for admins.</p>;
  return (
    <section data-testid="admin-page">
      <h2>Operations</h2>
      <LiveSessions />
      <EscrowPanel />
      <Refunds />
    </section>
  );
}
