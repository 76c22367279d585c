import { h } from "vue";
import DefaultTheme from "vitepress/theme";
import type { Theme } from "vitepress";
import ChapterLinks from "./components/ChapterLinks.vue";
import EditThisPage from "./components/EditThisPage.vue";
import GetTheCourse from "./components/GetTheCourse.vue";
import { vStaticHtml } from "./composables/useLiveChart";
import SplitCostChart from "./components/SplitCostChart.vue";
import IotlbCliffChart from "./components/IotlbCliffChart.vue";
import AssumptionList from "./components/AssumptionList.vue";
import ParamTable from "./components/ParamTable.vue";
import MemoryLostChart from "./components/MemoryLostChart.vue";
import PinHeldBackChart from "./components/PinHeldBackChart.vue";
import PinDmaChart from "./components/PinDmaChart.vue";
import PinLifetimeChart from "./components/PinLifetimeChart.vue";
import PfnDispatchChart from "./components/PfnDispatchChart.vue";
import ZapCostChart from "./components/ZapCostChart.vue";
import GmemPolicyChart from "./components/GmemPolicyChart.vue";
import FidelityTable from "./components/FidelityTable.vue";
import KnownDifferences from "./components/KnownDifferences.vue";
import PolicyScorecardChart from "./components/PolicyScorecardChart.vue";
import "./custom.css";

export default {
  extends: DefaultTheme,
  // Every chapter page starts with its notebook's links; every page ends with an edit link.
  Layout: () => h(DefaultTheme.Layout, null, { "doc-before": () => h(ChapterLinks), "doc-footer-before": () => h(EditThisPage) }),
  enhanceApp({ app }) {
    app.component("GetTheCourse", GetTheCourse);
    app.directive("static-html", vStaticHtml);
    app.component("SplitCostChart", SplitCostChart);
    app.component("IotlbCliffChart", IotlbCliffChart);
    app.component("AssumptionList", AssumptionList);
    app.component("ParamTable", ParamTable);
    app.component("MemoryLostChart", MemoryLostChart);
    app.component("PinHeldBackChart", PinHeldBackChart);
    app.component("PinDmaChart", PinDmaChart);
    app.component("PinLifetimeChart", PinLifetimeChart);
    app.component("PfnDispatchChart", PfnDispatchChart);
    app.component("ZapCostChart", ZapCostChart);
    app.component("GmemPolicyChart", GmemPolicyChart);
    app.component("FidelityTable", FidelityTable);
    app.component("KnownDifferences", KnownDifferences);
    app.component("PolicyScorecardChart", PolicyScorecardChart);
  },
} satisfies Theme;
