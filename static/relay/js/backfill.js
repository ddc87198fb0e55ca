// A running backfill's page follows its progress: every few seconds it reads the page again and puts the
// new progress in place (only when it changed, so nothing moves under the reader); once the backfill has
// ended, it shows the whole page as it now is. Without script, the page reloads itself (<noscript>).
(function () {
  "use strict";
  const live = document.querySelector("[data-backfill-live]");
  if (!live) return;
  const every = 1000 * Number(live.dataset.refreshSeconds || 2);
  async function look() {
    let html;
    try {
      const response = await fetch(window.location.href, { headers: { Accept: "text/html" }, credentials: "same-origin" });
      if (!response.ok) return setTimeout(look, every * 2);
      html = await response.text();
    } catch (error) {
      return setTimeout(look, every * 2);
    }
    const fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-backfill-live]");
    if (!fresh) {
      window.location.reload();  // it has ended: the page has what ended pages have (counts, no cancel)
      return;
    }
    if (fresh.innerHTML !== live.innerHTML) live.innerHTML = fresh.innerHTML;
    setTimeout(look, every);
  }
  setTimeout(look, every);
})();
