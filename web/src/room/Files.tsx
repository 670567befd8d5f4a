import { errorText } from '../format.ts';
import { useEffect, useRef, useState } from 'react';
import type { SessionFile, SessionRoom } from '@hourglass/sdk';
import { asParticipant } from '../api.ts';

const size = (n: number) =>
  n < 1024
    ? `${n} B`
    : n < 1024 ** 2
      ? `${(n / 1024).toFixed(0)} KB`
      : `${(n / 1024 ** 2).toFixed(1)} MB`;

/**
 * D9: files shared in the session — both sides share (up to 10 MB: images, PDF, audio, video,
 * text) and see each other's at once; each opens through a fresh signed link. Listed again on
 * a reload and after the session.
 */
export function Files({
  token,
  sessionId,
  room,
}: {
  token: string;
  sessionId: string;
  room?: SessionRoom;
}) {
  const client = asParticipant(token);
  const [files, setFiles] = useState<SessionFile[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    void asParticipant(token)
      .call('listFiles', { params: { id: sessionId } })
      .then(
        (r) => setFiles(r.items),
        () => undefined,
      );
    const add = (f: SessionFile) =>
      setFiles((prev) => (prev.some((p) => p.id === f.id) ? prev : [...prev, f]));
    return room?.on('file', add);
  }, [token, sessionId, room]);

  async function share(file: File) {
    setBusy(true);
    setError(null);
    try {
      const f = await client.uploadFile(sessionId, file, file.name);
      setFiles((prev) => (prev.some((p) => p.id === f.id) ? prev : [...prev, f]));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
      if (input.current) input.current.value = '';
    }
  }

  async function open(f: SessionFile) {
    try {
      const { url } = await client.call('fileLink', {
        params: { id: sessionId, fileId: f.id },
        body: {},
      });
      window.open(url, '_blank', 'noopener');
    } catch (err) {
      setError(errorText(err));
    }
  }

  return (
    <div className="files" data-testid="files">
      <div className="row">
        <strong>Files</strong>
        {room && (
          <label className={`button secondary ${busy ? 'disabled' : ''}`}>
            {busy ? 'Sharing…' : 'Share a file'}
            <input
              ref={input}
              type="file"
              hidden
              disabled={busy}
              data-testid="file-input"
              onChange={(e) => {
                const f = e.target.files?.[0];
                if (f) void share(f);
              }}
            />
          </label>
        )}
      </div>
      {error && (
        <p className="error" data-testid="file-error">
          {error}
        </p>
      )}
      <ul className="list">
        {files.map((f) => (
          <li key={f.id} data-testid="file" data-id={f.id}>
            <button className="link" data-testid="file-open" onClick={() => void open(f)}>
              {f.name}
            </button>
            <span className="muted">
              {' '}
              {size(f.size)} · {f.uploadedBy === 'client' ? 'from the client' : 'from the expert'}
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}
