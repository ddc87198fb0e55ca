// The source page's live view: fetch the last events every few seconds and show them, keeping open
// the details a person opened. The page works without it (the events as they were when it loaded).
(function () {
  "use strict";
  var list = document.getElementById("live-events");
  if (!list) return;
  var url = list.getAttribute("data-url");
  function refresh() {
    if (document.hidden) return;
    fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) return;
        var open = {};
        list.querySelectorAll("details[open]").forEach(function (d) { open[d.parentNode.querySelector("a").href] = true; });
        list.innerHTML = html;
        list.querySelectorAll("details").forEach(function (d) {
          if (open[d.parentNode.querySelector("a").href]) d.open = true;
        });
      })
      .catch(function () { /* the next tick tries again */ });
  }
  setInterval(refresh, 3000);
})();
