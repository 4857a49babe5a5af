import { useInput } from 'ink';
import type { MenuAction } from './use-menu-state.ts';

/** The menu's keys: arrows (or j/k) move, Enter chooses; any key stops the countdown. */
export function useMenuKeys(dispatch: (a: MenuAction) => void, isActive: boolean) {
  useInput(
    (input, key) => {
      if (key.upArrow || input === 'k') dispatch({ type: 'move', delta: -1 });
      else if (key.downArrow || input === 'j' || key.tab) dispatch({ type: 'move', delta: 1 });
      else if (key.return) dispatch({ type: 'choose' });
      else dispatch({ type: 'move', delta: 0 }); // any other key only stops the countdown
    },
    { isActive },
  );
}
