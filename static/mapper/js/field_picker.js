// Field picker: beside every mapping, choose a field of the sample event (a searchable list of its
// paths with their values, as the page shows the sample: masked for non-admins) and the expression is
// written for you; typing a path autocompletes from the same paths. The raw expression stays editable.
(function () {
  "use strict";
  const form = document.getElementById("action-form");
  if (!form) return;
  const sampleInput = form.querySelector("[name=sample_event]");
  const MAX_PATHS = 20000; // more than a 64 KB event can hold
  const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

  // JMESPath for one step: plain names as they are, anything else quoted.
  function step(name) {
    return IDENTIFIER.test(name) ? name : JSON.stringify(name);
  }

  // Every path of the sample with its value, in document order; list members as [0], [1]…
  function paths(sample) {
    const found = [];
    const stack = [["", sample]];
    while (stack.length && found.length < MAX_PATHS) {
      const [path, value] = stack.pop();
      if (path) found.push([path, value]);
      if (Array.isArray(value)) {
        for (let i = value.length - 1; i >= 0; i--) stack.push([path + "[" + i + "]", value[i]]);
      } else if (value && typeof value === "object") {
        const keys = Object.keys(value);
        for (let i = keys.length - 1; i >= 0; i--) {
          stack.push([(path ? path + "." : "") + step(keys[i]), value[keys[i]]]);
        }
      }
    }
    return found;
  }

  function currentPaths() {
    try {
      return paths(JSON.parse(sampleInput.value));
    } catch (error) {
      return [];
    }
  }

  function shown(value) {
    if (value !== null && typeof value === "object") return Array.isArray(value) ? "[…" + value.length + "]" : "{…}";
    const text = JSON.stringify(value);
    return text.length > 40 ? text.slice(0, 39) + "…" : text;
  }

  // Autocomplete: one list of the sample's paths for every expression input.
  const datalist = document.createElement("datalist");
  datalist.id = "sample-paths";
  document.body.append(datalist);
  function refreshAutocomplete() {
    datalist.replaceChildren.apply(datalist, currentPaths().map(function (entry) {
      const option = document.createElement("option");
      option.value = entry[0];
      return option;
    }));
  }

  function expressionInputs() {
    return form.querySelectorAll("input[data-field], input[name$='__expr'], input[data-condition-path]");
  }

  // The picker: one panel, opened under the input it writes to.
  const panel = document.createElement("div");
  panel.className = "field-picker";
  panel.hidden = true;
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", "Pick a field of the sample event");
  const search = document.createElement("input");
  search.type = "search";
  search.placeholder = "Search the sample's fields";
  search.setAttribute("aria-label", "Search the sample's fields");
  const list = document.createElement("ul");
  panel.append(search, list);
  let target = null;

  function renderList() {
    const query = search.value.trim().toLowerCase();
    const entries = currentPaths().filter(function (entry) { return entry[0].toLowerCase().includes(query); });
    list.replaceChildren.apply(list, entries.slice(0, 200).map(function (entry) {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.path = entry[0];
      const path = document.createElement("code");
      path.textContent = entry[0];
      const value = document.createElement("span");
      value.className = "help";
      value.textContent = " " + shown(entry[1]);
      button.append(path, value);
      item.append(button);
      return item;
    }));
  }

  function open(input) {
    target = input;
    const holder = input.closest(".field, .row") || input.parentElement;
    holder.after(panel);
    panel.hidden = false;
    search.value = "";
    renderList();
    search.focus();
  }

  function close() {
    panel.hidden = true;
    if (target) target.focus();
    target = null;
  }

  panel.addEventListener("click", function (event) {
    const choice = event.target.closest("[data-path]");
    if (!choice || !target) return;
    // A mapping adds the field as a candidate (candidates.js takes the event); a condition's path is replaced.
    const pick = new CustomEvent("relay:pick", { cancelable: true, detail: { path: choice.dataset.path } });
    if (target.dispatchEvent(pick)) {
      target.value = choice.dataset.path;
      target.dispatchEvent(new Event("input", { bubbles: true }));
    }
    close();
  });
  search.addEventListener("input", function (event) {
    event.stopPropagation(); // searching changes nothing of the action: no preview, no unsaved-changes prompt
    renderList();
  });
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") close();
    // ArrowDown from the search box moves into the results, and on through them; ArrowUp goes back.
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      const choices = Array.from(list.querySelectorAll("button"));
      if (!choices.length) return;
      const at = choices.indexOf(document.activeElement);
      const next = event.key === "ArrowDown" ? Math.min(at + 1, choices.length - 1) : at - 1;
      event.preventDefault();
      (next < 0 ? search : choices[next]).focus();
    }
  });

  function addPickers() {
    expressionInputs().forEach(function (input) {
      input.setAttribute("list", "sample-paths");
      if (input.readOnly || input.dataset.picker) return;
      input.dataset.picker = "1";
      const button = document.createElement("button");
      button.type = "button";
      button.className = "pick";
      button.textContent = "Pick a field";
      button.title = "Choose a field of the sample event for the input just before";
      button.addEventListener("click", function () { open(input); });
      // After the label, not inside it: the label names the input alone.
      (input.closest("label") || input).after(button);
    });
  }

  sampleInput.addEventListener("input", refreshAutocomplete);
  form.addEventListener("change", refreshAutocomplete);
  // Rows added later get a picker too.
  new MutationObserver(addPickers).observe(form, { childList: true, subtree: true });
  addPickers();
  refreshAutocomplete();
  window.relayFieldPaths = paths; // measured by the browser tests; candidates.js shows the sample's values
  window.relayShown = shown;
})();
