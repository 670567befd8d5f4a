export {
  createClient,
  type ClientOptions,
  type HourglassClient,
  type CallInput,
} from './client.ts';
export { HourglassError } from './errors.ts';
export { describeError, messages, type MessageContext } from './messages.ts';
export {
  SessionRoom,
  type ConnectionStatus,
  type RoomEvents,
  type RoomMessage,
  type SessionRoomOptions,
  type TimerView,
  type MoneyView,
} from './room.ts';
export { MediaSession, type MediaEvents, type QualityStats } from './media.ts';
export type * from '@hourglass/protocol';
export { UserChannel, type UserChannelEvents, type UserChannelOptions } from './user-channel.ts';
export { verifyWebhook, WebhookSignatureError, type VerifyOptions } from './webhooks.ts';
