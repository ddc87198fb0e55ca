// Action editor: live preview as the user types, rows added and removed, samples loaded.
// The server renders everything; this file only posts the form and swaps the preview in.
(function () {
  "use strict";
  const form = document.getElementById("action-form");
  const panel = document.getElementById("preview");
  if (!form || !panel) return;
  const previewUrl = form.dataset.previewUrl;
  let timer = null;
  let inFlight = null;

  function schedulePreview() {
    clearTimeout(timer);
    timer = setTimeout(runPreview, 300);
  }

  async function runPreview() {
    // This run reads the form as it is now: a preview still scheduled for an earlier keystroke would
    // only abort it later, and whoever awaits this run (the builder, the pickers) would read a stale answer.
    clearTimeout(timer);
    if (inFlight) inFlight.abort(); // a newer keystroke wins: stale answers are discarded
    const controller = new AbortController();
    inFlight = controller;
    try {
      const response = await fetch(previewUrl, {
        method: "POST",
        body: new FormData(form),
        signal: controller.signal,
        headers: { "X-Requested-With": "fetch" },
      });
      if (!response.ok) throw new Error("Preview failed (" + response.status + ")");
      const html = await response.text();
      if (controller.signal.aborted) return;
      panel.innerHTML = html;
      showErrors();
      document.dispatchEvent(new CustomEvent("relay:preview")); // the trigger builder reads its offers
    } catch (error) {
      if (error.name !== "AbortError") panel.setAttribute("data-stale", "true");
    } finally {
      if (inFlight === controller) inFlight = null;
    }
  }

  function rowKey(row) {
    const group = row.closest("[data-group]");
    const name = row.querySelector("input[name$='__name']");
    return group && name && name.value.trim() ? group.dataset.group + "." + name.value.trim() : "";
  }

  function showErrors() {
    const data = document.getElementById("preview-errors");
    const errors = data ? JSON.parse(data.textContent) : [];
    form.querySelectorAll(".row[data-row]").forEach(function (row) {
      const key = rowKey(row);
      row.dataset.row = key;
      const slot = row.querySelector(".live-errors");
      if (slot) slot.dataset.errorsFor = key;
    });
    form.querySelectorAll("[data-errors-for]").forEach(function (slot) {
      const mine = errors.filter(function (e) { return slot.dataset.errorsFor && e.field === slot.dataset.errorsFor; });
      slot.replaceChildren.apply(slot, mine.map(function (e) {
        const p = document.createElement("p");
        p.className = e.severity;
        const label = document.createElement("strong");
        label.textContent = (e.severity === "error" ? "Error" : "Warning") + ": ";
        p.append(label, e.message);
        return p;
      }));
      const holder = slot.closest("[data-row]");
      if (holder) {
        const hasError = mine.some(function (e) { return e.severity === "error"; });
        holder.classList.toggle("has-live-error", hasError);
        holder.querySelectorAll("input, textarea").forEach(function (input) {
          if (hasError) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
        });
      }
    });
  }

  form.addEventListener("input", schedulePreview);
  form.addEventListener("change", function (event) {
    if (event.target.matches("[data-sample-picker]")) {
      const samples = JSON.parse(document.getElementById("samples").textContent);
      const refs = JSON.parse(document.getElementById("sample-refs").textContent);
      const chosen = samples[Number(event.target.value)];
      if (chosen !== undefined) {
        form.querySelector("[name=sample_event]").value = JSON.stringify(chosen, null, 2);
        // A stored event shown masked: the server judges, sends and saves the real one.
        form.querySelector("[data-sample-ref]").value = refs[Number(event.target.value)] || "";
        runPreview();
      }
    }
  });
  form.addEventListener("click", function (event) {
    const add = event.target.closest("[data-add-row]");
    if (add) {
      const group = add.closest("[data-group]");
      const row = group.querySelector("template").content.firstElementChild.cloneNode(true);
      group.querySelector(".row-list").append(row);
      row.querySelector("input").focus();
      return;
    }
    const remove = event.target.closest("[data-remove-row]");
    if (remove) {
      remove.closest(".row").remove();
      schedulePreview();
    }
  });
  // Enter in any input of the editor (a mapping, the trigger builder, the field picker's search, a
  // checkbox) never submits the form, and so never saves it: in a field of the action it previews at
  // once. Buttons and text areas keep their own Enter. (Without this script, the form's first
  // button, a hidden Preview, is the one Enter presses.)
  form.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !(event.target instanceof HTMLInputElement)) return;
    event.preventDefault();
    if (event.target.closest(".field-picker")) return; // the picker handles its own keys
    clearTimeout(timer);
    runPreview();
  });

  // Leaving with unsaved changes asks first; saving (or any button of the form) does not.
  let dirty = false;
  form.addEventListener("input", function () { dirty = true; });
  form.addEventListener("submit", function () { dirty = false; });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  // Received events to load as the sample: those the trigger matches, or found by name. Searching
  // changes nothing of the action (no preview, no unsaved-changes prompt) until one is chosen.
  const search = form.querySelector("[data-event-search]");
  const searchBox = search && search.closest("[data-event-search-url]");
  let searchTimer = null;
  let searched = null;
  let lastTrigger = null;
  function loadSample(event, ref) {
    form.querySelector("[name=sample_event]").value = JSON.stringify(event, null, 2);
    form.querySelector("[data-sample-ref]").value = ref || ""; // the server reads the real event from it
    form.querySelector("[name=sample_event]").dispatchEvent(new Event("input", { bubbles: true }));
    runPreview();
  }
  async function findEvents() {
    if (searched) searched.abort();
    const controller = new AbortController();
    searched = controller;
    const query = search.value.trim();
    const trigger = form.querySelector("[name=trigger]").value;
    lastTrigger = trigger;
    const url = searchBox.dataset.eventSearchUrl + "?" + new URLSearchParams({ q: query, trigger: trigger });
    try {
      const response = await fetch(url, { signal: controller.signal, headers: { "X-Requested-With": "fetch" } });
      if (!response.ok) return;
      const found = (await response.json()).samples;
      const results = searchBox.querySelector("[data-event-results]");
      searchBox.querySelector("[data-event-search-note]").hidden = query !== "";
      results.replaceChildren.apply(results, found.map(function (sample) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "link";
        button.textContent = sample.label;
        button.addEventListener("click", function () { loadSample(sample.event, sample.ref); });
        const item = document.createElement("li");
        item.append(button);
        return item;
      }));
      if (!found.length) {
        const none = document.createElement("li");
        none.className = "help";
        none.textContent = query ? "No received event has that name." : "No recent event matches this trigger.";
        results.append(none);
      }
    } catch (error) {
      if (error.name !== "AbortError") throw error;
    }
  }
  if (search && searchBox) {
    searchBox.hidden = false;
    search.addEventListener("input", function (event) {
      event.stopPropagation();
      clearTimeout(searchTimer);
      searchTimer = setTimeout(findEvents, 250);
    });
    document.addEventListener("relay:preview", function () {
      if (!search.value.trim() && form.querySelector("[name=trigger]").value !== lastTrigger) findEvents();
    });
    findEvents();
  }

  showErrors();
  window.relayPreview = { run: runPreview }; // the trigger builder reads the server's parse of the trigger
  // A test send's answer (the confirmation, or what happened) takes the focus, so that it is seen
  // and read out wherever it stands on the page.
  const testSend = document.getElementById("test-send");
  if (testSend) testSend.focus();
})();
