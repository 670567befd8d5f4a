import { errorText } from '../format.ts';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { SessionRoom } from '@hourglass/sdk';
import { realtimeLimits } from '@hourglass/protocol';

const time = (iso: string | null) =>
  iso ? new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : '';

/** Chat: the messages in the server's order, each with its time and delivery state. Text only, never HTML. */
export function Chat({ room, disabled }: { room: SessionRoom; disabled: boolean }) {
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const list = useRef<HTMLOListElement>(null);
  const messages = room.messages();
  useEffect(() => {
    list.current?.lastElementChild?.scrollIntoView({ block: 'end' });
  }, [messages.length]);

  function send(e: FormEvent) {
    e.preventDefault();
    const body = text.trim();
    if (!body) return;
    setText('');
    room.send(body).catch((err: unknown) => setError(errorText(err)));
  }

  return (
    <section className="chat">
      <ol className="messages" ref={list} data-testid="messages">
        {messages.map((m) => (
          <li
            key={m.clientMsgId}
            className={m.from === room.you ? 'mine' : 'theirs'}
            data-testid="message"
            data-seq={m.seq ?? ''}
            data-delivery={m.delivery}
          >
            <span className="text">{m.text}</span>
            <span className="meta">
              {time(m.sentAt)} {m.from === room.you ? (m.delivery === 'sent' ? '✓' : '…') : ''}
            </span>
          </li>
        ))}
      </ol>
      <form className="compose" onSubmit={send}>
        <input
          aria-label="Message"
          data-testid="chat-input"
          value={text}
          maxLength={realtimeLimits.chatText}
          onChange={(e) => setText(e.target.value)}
          disabled={disabled}
          placeholder="Write a message"
        />
        <button type="submit" data-testid="chat-send" disabled={disabled || !text.trim()}>
          Send
        </button>
      </form>
      {error && <p className="error">{error}</p>}
    </section>
  );
}
