import { endpoints } from '@hourglass/protocol';
import type { Deps } from '../platform/context.ts';
import type { makeRouter } from '../platform/router.ts';
import { createPayout, earnings, earningsBySession, finishPayout } from './earnings.ts';
import { escrowStats, getEscrow, openDispute, settleEscrow } from './escrow-service.ts';
import { adminCredit, getWallet, topUp, walletHistory } from './wallet.ts';

export function billingRoutes(route: ReturnType<typeof makeRouter>, deps: Deps): void {
  route(endpoints.wallet, ({ principal }) => getWallet(deps, principal));
  route(endpoints.walletHistory, ({ principal, query }) => walletHistory(deps, principal, query));
  route(endpoints.topUp, ({ principal, body, idempotencyKey }) =>
    topUp(deps, principal, body.amount, idempotencyKey),
  );
  route(endpoints.adminCredit, ({ principal, params, body, idempotencyKey }) =>
    adminCredit(deps, principal, params.userId, { amount: body.amount, key: idempotencyKey }),
  );
  route(endpoints.sessionEscrow, ({ principal, params }) => getEscrow(deps, principal, params.id));
  route(endpoints.openDispute, ({ principal, params, body }) =>
    openDispute(deps, principal, params.id, body.reason),
  );
  route(endpoints.releaseEscrow, ({ principal, params }) =>
    settleEscrow(deps, principal, params.id, 'release'),
  );
  route(endpoints.refundEscrow, ({ principal, params, body }) =>
    settleEscrow(deps, principal, params.id, { refund: body.amount ?? 'all' }),
  );
  route(endpoints.escrowStats, ({ principal }) => escrowStats(deps, principal));
  route(endpoints.myEarnings, ({ principal }) => earnings(deps, principal));
  route(endpoints.myEarningsBySession, ({ principal, query }) =>
    earningsBySession(deps, principal, query),
  );
  route(endpoints.createPayout, ({ principal, body, idempotencyKey }) =>
    createPayout(deps, principal, {
      expertId: body.expertId,
      amount: body.amount,
      key: idempotencyKey,
    }),
  );
  route(endpoints.completePayout, ({ principal, params }) =>
    finishPayout(deps, principal, params.payoutId, 'post'),
  );
  route(endpoints.failPayout, ({ principal, params }) =>
    finishPayout(deps, principal, params.payoutId, 'void'),
  );
}
