"use client";

import { useCallback, useEffect, useRef, useState } from "react";

/**
 * After a form's request settles, moves focus to its first invalid field, or else to the first element
 * marked `data-outcome` that shows a message (else the first one so marked), so keyboard and screen
 * reader users land on the answer.
 */
export function useFocusOutcome<T extends HTMLElement>() {
  const container = useRef<T>(null);
  const [settled, setSettled] = useState(0);

  useEffect(() => {
    if (settled === 0 || !container.current) return;
    const outcomes = [...container.current.querySelectorAll<HTMLElement>("[data-outcome]")];
    const target =
      container.current.querySelector<HTMLElement>('[aria-invalid="true"]') ??
      outcomes.find((outcome) => outcome.querySelector('[role="alert"], [role="status"]')) ??
      outcomes[0];
    target?.focus();
  }, [settled]);

  const focusOutcome = useCallback(() => setSettled((value) => value + 1), []);
  return { container, focusOutcome };
}
