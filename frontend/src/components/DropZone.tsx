"use client";

import { useId, useRef, useState, type DragEvent } from "react";
import { formatBytes } from "@/lib/format";
import { Button } from "./Button";

/** Accepts one CSV file dropped on it or chosen with the file picker (the keyboard path). */
export function DropZone({ file, onFile, error }: { file: File | null; onFile: (file: File) => void; error?: string }) {
  const input = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);
  const id = useId();

  const drop = (event: DragEvent) => {
    event.preventDefault();
    setOver(false);
    const dropped = event.dataTransfer.files[0];
    if (dropped) onFile(dropped);
  };

  return (
    <div>
      <p id={`${id}-label`} className="block text-sm font-medium text-slate-800">
        CSV file <span className="text-red-700">*</span>
      </p>
      <div
        onDragOver={(event) => {
          event.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={drop}
        className={`mt-1 flex flex-col items-center justify-center gap-3 rounded-lg border-2 border-dashed px-4 py-8 text-center ${
          over ? "border-blue-700 bg-blue-50" : error ? "border-red-700 bg-white" : "border-slate-400 bg-white"
        }`}
      >
        {file ? (
          <p className="text-slate-900">
            <span className="font-semibold">{file.name}</span> ({formatBytes(file.size)})
          </p>
        ) : (
          <p className="text-slate-700">Drag a CSV file here, or</p>
        )}
        <Button variant="secondary" onClick={() => input.current?.click()} aria-describedby={`${id}-label`}>
          {file ? "Choose another file" : "Choose a file"}
        </Button>
        <input
          ref={input}
          type="file"
          accept=".csv,text/csv"
          className="sr-only"
          tabIndex={-1}
          aria-labelledby={`${id}-label`}
          onChange={(event) => {
            const chosen = event.target.files?.[0];
            if (chosen) onFile(chosen);
            event.target.value = "";
          }}
        />
      </div>
      {error && <p className="mt-1 text-sm font-medium text-red-700">{error}</p>}
    </div>
  );
}
