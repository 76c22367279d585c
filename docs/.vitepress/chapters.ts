// The course's chapters in reading order: the top bar's "Chapters" menu and the sidebar are built
// from this list (test/site/pages.test.ts checks it against docs/chapters/).
export const CHAPTERS: readonly { text: string; link: string }[] = [
  { text: "0. What MFR does", link: "/chapters/00-what-mfr-does" },
  { text: "1. The cost of splitting THP", link: "/chapters/01-thp-splitting-cost" },
  { text: "2. memfd policy lifetimes", link: "/chapters/02-memfd-policy-lifetimes" },
  { text: "3. iommufd pinning", link: "/chapters/03-iommufd-pinning" },
  { text: "4. guest_memfd and the secure world", link: "/chapters/04-guest-memfd-secure-world" },
  { text: "5. VFIO MMIO poison dispatch", link: "/chapters/05-vfio-mmio-poison" },
  { text: "6. Design your own policy", link: "/chapters/06-design-your-own-policy" },
];
