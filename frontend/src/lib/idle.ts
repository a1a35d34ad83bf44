"use client";

import { useCallback, useEffect, useRef, useState } from "react";

export const IDLE_LIMIT_MS = 15 * 60 * 1000;
export const WARNING_MS = 60 * 1000;

const INPUT_EVENTS = ["pointerdown", "pointermove", "keydown", "wheel", "touchstart", "scroll"] as const;

/**
 * Counts down from the last keyboard, mouse or touch input. Returns the seconds left once the warning
 * minute has begun (null before), and a function that counts as activity.
 */
export function useIdleTimeout(onTimeout: () => void): { secondsLeft: number | null; stayActive: () => void } {
  const lastInput = useRef(0);
  const [secondsLeft, setSecondsLeft] = useState<number | null>(null);
  const timeout = useRef(onTimeout);

  useEffect(() => {
    timeout.current = onTimeout;
  }, [onTimeout]);

  const stayActive = useCallback(() => {
    lastInput.current = Date.now();
    setSecondsLeft(null);
  }, []);

  useEffect(() => {
    lastInput.current = Date.now();
    const record = () => {
      lastInput.current = Date.now();
    };
    for (const name of INPUT_EVENTS) window.addEventListener(name, record, { passive: true, capture: true });
    const tick = window.setInterval(() => {
      const remaining = IDLE_LIMIT_MS - (Date.now() - lastInput.current);
      if (remaining <= 0) {
        window.clearInterval(tick);
        timeout.current();
      } else {
        setSecondsLeft(remaining <= WARNING_MS ? Math.ceil(remaining / 1000) : null);
      }
    }, 1000);
    return () => {
      window.clearInterval(tick);
      for (const name of INPUT_EVENTS) window.removeEventListener(name, record, { capture: true });
    };
  }, []);

  return { secondsLeft, stayActive };
}
