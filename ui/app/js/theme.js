// Light / dark theme: follows the system setting (prefers-color-scheme) unless the user
// chose one, which is kept in localStorage.

const KEY = "orion-theme";

/** "light", "dark" or "system" (the stored choice). */
export function themeChoice() {
  const value = localStorage.getItem(KEY);
  return value === "light" || value === "dark" ? value : "system";
}

/** Put the stored choice on <html data-theme>; "system" leaves it to the CSS media query. */
export function applyTheme() {
  const choice = themeChoice();
  if (choice === "system") delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = choice;
}

export function setTheme(choice) {
  if (choice === "system") localStorage.removeItem(KEY);
  else localStorage.setItem(KEY, choice);
  applyTheme();
}
