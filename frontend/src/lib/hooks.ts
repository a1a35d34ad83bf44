"use client";

import { useCallback, useEffect, useState } from "react";
import { ApiError } from "./api";

export interface Resource<T> {
  data: T | null;
  error: ApiError | null;
  loading: boolean;
  reload: () => void;
}

function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError(0, "client_error", error instanceof Error ? error.message : "Something went wrong.");
}

/**
 * Loads `load()` whenever `key` changes; `key` names everything the request depends on. While a new
 * request runs, the previous data stays available (pages keep showing it, marked busy).
 */
export function useResource<T>(load: () => Promise<T>, key: string): Resource<T> {
  const [generation, setGeneration] = useState(0);
  const [settled, setSettled] = useState<{ token: string; data: T | null; error: ApiError | null }>({
    token: "",
    data: null,
    error: null,
  });
  const token = `${generation}:${key}`;

  useEffect(() => {
    let current = true;
    load()
      .then((data) => current && setSettled({ token, data, error: null }))
      .catch((failure: unknown) => current && setSettled((last) => ({ token, data: last.data, error: asApiError(failure) })));
    return () => {
      current = false;
    };
    // `token` stands for the inputs of `load`, which is a new closure on every render.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [token]);

  const reload = useCallback(() => setGeneration((value) => value + 1), []);
  const loading = settled.token !== token;
  return { data: settled.data, error: loading ? null : settled.error, loading, reload };
}

export interface Action<A extends unknown[], T> {
  run: (...args: A) => Promise<T | undefined>;
  pending: boolean;
  error: ApiError | null;
  clearError: () => void;
}

/** Wraps a user action (a form submit, a button) with its pending and error state. */
export function useAction<A extends unknown[], T>(perform: (...args: A) => Promise<T>): Action<A, T> {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  const run = useCallback(
    async (...args: A) => {
      setPending(true);
      setError(null);
      try {
        return await perform(...args);
      } catch (failure) {
        setError(asApiError(failure));
        return undefined;
      } finally {
        setPending(false);
      }
    },
    [perform],
  );
  const clearError = useCallback(() => setError(null), []);
  return { run, pending, error, clearError };
}
