import { type RefObject, useCallback, useReducer, useRef } from 'react';

/**
 * `useReducer` whose latest state is also readable at once through a ref. Key handlers read the
 * ref: keys typed faster than React re-renders (a pasted search, `/` then text) must see the state
 * the previous key produced, not the last rendered one.
 */
export function useSyncReducer<S, A>(
  reducer: (s: S, a: A) => S,
  initial: S,
): [S, (a: A) => void, RefObject<S>] {
  const ref = useRef(initial);
  const [state, setState] = useReducer((_: S, next: S) => next, initial);
  const dispatch = useCallback(
    (a: A) => {
      ref.current = reducer(ref.current, a);
      setState(ref.current);
    },
    [reducer],
  );
  return [state, dispatch, ref];
}
