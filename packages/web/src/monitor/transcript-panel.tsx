// The live transcript, virtualised: only the rows on screen are in the DOM, so a 2-hour call
// scrolls like a short one. It follows the newest line until the supervisor scrolls up, then
// offers "Jump to live". Interim text is shown as provisional and replaced in place by its
// final; low-confidence lines are marked.
import type { LiveTranscript } from '@earshot/protocol';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useImperativeHandle, useRef, useState, type Ref } from 'react';

/** Below this STT confidence a line is marked as uncertain. */
export const LOW_CONFIDENCE = 0.6;
/** Within this many pixels of the bottom counts as "following live". */
const PINNED_SLACK = 48;

export interface TranscriptHandle {
  jumpToLive(): void;
}

export function TranscriptPanel({
  rows,
  handle,
  pausedSince,
}: {
  rows: LiveTranscript[];
  handle?: Ref<TranscriptHandle>;
  /** Call time a secure pause began, while one lasts: nothing said is kept. */
  pausedSince?: string | undefined;
}) {
  const scroller = useRef<HTMLDivElement>(null);
  const [following, setFollowing] = useState(true);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => 52,
    overscan: 8,
    getItemKey: (index) => rows[index]!._id,
  });

  const jumpToLive = () => {
    setFollowing(true);
    if (rows.length > 0) virtualizer.scrollToIndex(rows.length - 1, { align: 'end' });
  };
  useImperativeHandle(handle, () => ({ jumpToLive }));

  // Follow the newest line while pinned to the bottom. Rows are measured after they render,
  // so the bottom is set again on the next frame, once their real heights are known.
  useEffect(() => {
    if (!following || rows.length === 0) return;
    virtualizer.scrollToIndex(rows.length - 1, { align: 'end' });
    const frame = requestAnimationFrame(() => {
      const el = scroller.current;
      if (el) el.scrollTop = el.scrollHeight;
    });
    return () => cancelAnimationFrame(frame);
  }, [rows, following, virtualizer]);

  // A row measured taller than estimated grows the list after the scroll: stay at the bottom.
  const totalSize = virtualizer.getTotalSize();
  useEffect(() => {
    const el = scroller.current;
    if (following && el) el.scrollTop = el.scrollHeight;
  }, [totalSize, following]);

  return (
    <div className="transcript">
      <div
        ref={scroller}
        className="transcript-scroll"
        role="log"
        aria-label="Live transcript"
        aria-live="off"
        tabIndex={0}
        onScroll={(e) => {
          const el = e.currentTarget;
          const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight <= PINNED_SLACK;
          if (atBottom !== following) setFollowing(atBottom);
        }}
      >
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((item) => {
            const row = rows[item.index]!;
            const low = row.confidence !== undefined && row.confidence < LOW_CONFIDENCE;
            return (
              <div
                key={item.key}
                ref={virtualizer.measureElement}
                data-index={item.index}
                data-segment={row.segmentId}
                className={`line line-${row.speaker}${row.isFinal ? '' : ' interim'}${low ? ' low-confidence' : ''}`}
                style={{
                  position: 'absolute',
                  top: 0,
                  left: 0,
                  right: 0,
                  transform: `translateY(${item.start}px)`,
                }}
              >
                <span className="line-meta">
                  <span className="speaker">{row.speaker === 'agent' ? 'Agent' : 'Customer'}</span>
                  <span className="time">{row.timestamp}</span>
                  {row.sentiment && (
                    <span className={`sentiment sentiment-${row.sentiment}`}>{row.sentiment}</span>
                  )}
                  {!row.isFinal && <span className="badge provisional">provisional</span>}
                  {low && (
                    <span className="badge uncertain" title={`STT confidence ${row.confidence}`}>
                      low confidence
                    </span>
                  )}
                </span>
                <span className="text">{row.text}</span>
              </div>
            );
          })}
        </div>
      </div>
      {!following && (
        <button type="button" className="jump-to-live" onClick={jumpToLive}>
          Jump to live ↓
        </button>
      )}
      {rows.length === 0 && !pausedSince && <p className="empty">No transcript yet.</p>}
      {pausedSince && (
        <p className="paused-banner">
          Secure pause since {pausedSince}. What is said now is not transcribed or kept.
        </p>
      )}
    </div>
  );
}
