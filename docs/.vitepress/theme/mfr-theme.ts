// The site's own theme settings (docs/.vitepress/site-meta.ts fills them at build time).
import type { DefaultTheme } from "vitepress";

export interface MfrThemeConfig extends DefaultTheme.Config {
  mfr: {
    repo: string | null;
    github: string | null;
    branch: string;
    notebooks: string[];
  };
}
