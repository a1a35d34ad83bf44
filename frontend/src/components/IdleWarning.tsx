"use client";

import { useEffect, useRef } from "react";
import { Button } from "./Button";

/** Shown during the last minute before automatic sign-out. */
export function IdleWarning({ secondsLeft, onStay }: { secondsLeft: number | null; onStay: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const open = secondsLeft !== null;

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (open && !element.open) element.showModal();
    if (!open && element.open) element.close();
  }, [open]);

  return (
    <dialog
      ref={dialog}
      aria-labelledby="idle-title"
      aria-describedby="idle-text"
      onCancel={(event) => {
        event.preventDefault();
        onStay();
      }}
      className="m-auto w-[min(28rem,calc(100%-2rem))] rounded-lg p-6 shadow-xl backdrop:bg-slate-900/50"
    >
      <h2 id="idle-title" className="text-lg font-semibold text-slate-900">
        Are you still there?
      </h2>
      <p id="idle-text" className="mt-2 text-slate-700">
        To protect patient data, you will be signed out in{" "}
        <strong>{secondsLeft ?? 0} seconds</strong> because there was no activity for 14 minutes.
      </p>
      <div className="mt-6 flex justify-end">
        <Button onClick={onStay} autoFocus>
          Stay signed in
        </Button>
      </div>
    </dialog>
  );
}
