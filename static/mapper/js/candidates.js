// Fallbacks: a mapping is a list of candidates in order, and the first valid one is used
// (`context.traits.email || properties.email`). Picking a field adds a candidate, never replacing
// what was there; candidates move up and down and go. The expression is written for you (joined
// by " || ", mapper/candidates.py's rule) and stays editable: the server reads what was typed back
// into a list (the preview carries its reading, "mapping-lists"), and anything that is not a
// plain list of fields and texts stays an expression, with a note, untouched.
(function () {
  "use strict";
  const form = document.getElementById("action-form");
  if (!form) return;
  const sampleInput = form.querySelector("[name=sample_event]");
  const SEPARATOR = " || ";
  const written = new WeakMap(); // input -> {text, list}: what this script last wrote
  const boxes = new WeakMap(); // input -> its list

  function lists() {
    const data = document.getElementById("mapping-lists");
    return data ? JSON.parse(data.textContent) : { candidates: {}, products: {}, product_field: "", product_fields: [] };
  }

  function productEditorOwns(input) {
    const found = lists();  // the action type's products table, if it declares one
    return found.product_fields.length > 0 && input.dataset.field === found.product_field;
  }

  // The candidates of the input's expression: a list, null (not a plain list), or undefined (typed
  // since the last preview: not read yet).
  function candidatesOf(input) {
    const value = input.value.trim();
    const mine = written.get(input);
    if (mine && mine.text === value) return mine.list.slice();
    const found = lists().candidates;
    return Object.prototype.hasOwnProperty.call(found, value) ? found[value] : undefined;
  }

  function write(input, list) {
    const text = list.join(SEPARATOR);
    written.set(input, { text: text, list: list.slice() });
    input.value = text;
    input.dispatchEvent(new Event("input", { bubbles: true }));
    render(input);
  }

  function sampleValues() {
    try {
      return new Map(window.relayFieldPaths(JSON.parse(sampleInput.value)));
    } catch (error) {
      return new Map();
    }
  }

  function name(input) {
    if (input.closest(".row")) {
      const row = input.closest(".row").querySelector("input[name$='__name']");
      return row && row.value.trim() ? row.value.trim() : "this row";
    }
    return input.labels[0] ? input.labels[0].textContent.replace(/[*:]/g, "").trim() : "this field";
  }

  function button(text, label, action) {
    const node = document.createElement("button");
    node.type = "button";
    node.className = "icon";
    node.textContent = text;
    node.setAttribute("aria-label", label);
    node.dataset.candidateAction = action;
    return node;
  }

  function box(input) {
    if (boxes.has(input)) return boxes.get(input);
    const found = document.createElement("div");
    found.className = "candidates";
    boxes.set(input, found);
    found.hidden = true;
    const note = document.createElement("p");
    note.className = "help";
    note.dataset.candidatesNote = "";
    const list = document.createElement("ol");
    found.append(note, list);
    const holder = input.closest(".row") ? input.closest(".value") : input.closest(".field") || input.parentElement;
    holder.append(found);
    found.addEventListener("click", function (event) {
      const action = event.target.closest("[data-candidate-action]");
      if (!action) return;
      const list = candidatesOf(input);
      if (!Array.isArray(list)) return;
      const at = Number(action.closest("li").dataset.index);
      if (action.dataset.candidateAction === "remove") list.splice(at, 1);
      const to = action.dataset.candidateAction === "up" ? at - 1 : action.dataset.candidateAction === "down" ? at + 1 : -1;
      if (to >= 0 && to < list.length) list.splice(to, 0, list.splice(at, 1)[0]);
      write(input, list);
      // Keep the keyboard where it was: on the same button of the candidate that moved.
      const moved = found.querySelector("li[data-index='" + (to >= 0 && to < list.length ? to : Math.min(at, list.length - 1)) + "'] [data-candidate-action='" + action.dataset.candidateAction + "']");
      (moved || input).focus();
    });
    return found;
  }

  function render(input) {
    if (productEditorOwns(input)) return;
    const list = candidatesOf(input);
    if (list === undefined) return; // judged at the next preview
    const holder = box(input);
    const note = holder.querySelector("[data-candidates-note]");
    const items = holder.querySelector("ol");
    const textMode = input.dataset.valueMode === "text";
    if (list === null) {
      holder.hidden = textMode;
      note.textContent = "This expression is more than a list of fields (it uses functions, conditions or " +
        "projections): it is kept as you wrote it. A field you pick is added after it, as a fallback.";
      items.replaceChildren();
      return;
    }
    holder.hidden = textMode || list.length < 2;
    note.textContent = "Uses the first valid one, in this order:";
    items.setAttribute("aria-label", "Candidates for " + name(input));
    const values = sampleValues();
    items.replaceChildren.apply(items, list.map(function (candidate, index) {
      const item = document.createElement("li");
      item.dataset.index = String(index);
      item.dataset.candidate = candidate;
      const code = document.createElement("code");
      code.textContent = candidate;
      const value = document.createElement("span");
      value.className = "help";
      const literal = window.relayText.literal(candidate);
      value.textContent = literal !== null ? " fixed text" : values.has(candidate) ? " " + window.relayShown(values.get(candidate)) : " not in this sample";
      item.append(code, value);
      if (!input.readOnly) {
        const up = button("↑", "Move " + candidate + " up", "up");
        up.disabled = index === 0;
        const down = button("↓", "Move " + candidate + " down", "down");
        down.disabled = index === list.length - 1;
        item.append(up, down, button("✕", "Remove " + candidate, "remove"));
      }
      return item;
    }));
  }

  function inputs() {
    return Array.from(form.querySelectorAll("input[data-field], input[name$='__expr']")).filter(function (input) {
      return !productEditorOwns(input);
    });
  }

  function setUp(input) {
    if (input.dataset.candidates) return;
    input.dataset.candidates = "1";
    input.addEventListener("relay:pick", async function (event) {
      event.preventDefault(); // added as a candidate below, never replacing the expression
      const path = event.detail.path;
      let list = candidatesOf(input);
      if (list === undefined) {
        await window.relayPreview.run(); // the server reads the expression as it is now
        list = candidatesOf(input);
      }
      if (Array.isArray(list)) {
        if (list.indexOf(path) === -1) list.push(path);
        write(input, list);
      } else {
        // Not a plain list: kept whole, in parentheses, with the field after it as a fallback.
        const before = input.value.trim();
        input.value = before ? "(" + before + ")" + SEPARATOR + path : path;
        input.dispatchEvent(new Event("input", { bubbles: true }));
      }
    });
    // Switching between a field and a fixed text shows or hides the list.
    new MutationObserver(function () { render(input); }).observe(input, { attributes: true, attributeFilter: ["data-value-mode"] });
    render(input);
  }

  function setUpAll() {
    inputs().forEach(setUp);
  }
  new MutationObserver(setUpAll).observe(form, { childList: true, subtree: false });
  form.querySelectorAll(".row-list").forEach(function (rowList) {
    new MutationObserver(setUpAll).observe(rowList, { childList: true });
  });
  document.addEventListener("relay:preview", function () { inputs().forEach(render); });
  sampleInput.addEventListener("input", function () { inputs().forEach(render); });
  setUpAll();
  window.relayCandidates = { write: function (list) { return list.join(SEPARATOR); } };
})();
