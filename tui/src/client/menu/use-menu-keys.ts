import { useInput } from 'ink';
import type { MenuAction } from './use-menu-state.ts';

/** The menu's keys: arrows (or j/k) move, Enter chooses; any key stops the countdown. */
export function useMenuKeys(dispatch: (a: MenuAction) => void, isActive: boolean) {
  useInput(
    (input, key) => {
      if (key.upArrow) dispatch({ type: 'move', delta: -1 });
      else if (key.downArrow || key.tab) dispatch({ type: 'move', delta: 1 });
      else if (key.return) dispatch({ type: 'choose' });
      else {
        // Typed letters may arrive together ("jj"): each counts.
        for (const ch of input) dispatch({ type: 'move', delta: ch === 'k' ? -1 : ch === 'j' ? 1 : 0 });
        if (input === '') dispatch({ type: 'move', delta: 0 }); // any other key only stops the countdown
      }
    },
    { isActive },
  );
}
