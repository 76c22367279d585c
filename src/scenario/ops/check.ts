// `check` steps: one evaluation (../checks.ts) over what the model or a kernel observed.
import { parseSize } from "../../core/units.js";
import type { OpDef } from "./types.js";

export const check: OpDef<"check"> = {
  model(r, st) {
    return r.check(st);
  },
  /** A check runs on the host over the kernel's observations; a page check asks pagemap first. */
  kernel(k, st) {
    if (st.page) {
      const { proc, slot } = k.mapSlot(st.page.mapping);
      k.emit(`P ${proc} query ${slot} ${parseSize(st.page.offset ?? 0)}`, "data");
    }
  },
};
