// Trigger builder: event type, event names (one of a list, case ignored or not) and property
// conditions (equals, contains, exists, greater/less than) combined with all/any. It writes the
// trigger's JMESPath by mapper/trigger_builder.py's rules; the server reads the trigger back into
// the builder (the preview carries its model), so a trigger typed by hand opens in the builder
// when it is simple enough, and stays an expression otherwise.
(function () {
  "use strict";
  const form = document.getElementById("action-form");
  const host = document.querySelector("[data-trigger-builder]");
  if (!form || !host) return;
  const textarea = form.querySelector("[name=trigger]");
  const expressionField = textarea.closest(".field") || textarea.parentElement;
  const readOnly = textarea.readOnly;
  const types = JSON.parse(document.getElementById("trigger-event-types").textContent);
  const NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;
  const OPERATORS = [
    ["equals", "equals"], ["contains", "contains"], ["exists", "exists"],
    ["greater_than", "is greater than"], ["less_than", "is less than"],
  ];
  const quote = window.relayText.quote;

  function literal(text) {
    if (text === "true" || text === "false") return "`" + text + "`";
    if (NUMBER.test(text) && Number.isFinite(Number(text))) return "`" + text + "`";
    return quote(text);
  }

  function conditionText(c) {
    if (c.operator === "exists") return c.path + " != `null`";
    if (c.operator === "contains") return "contains(to_string(" + c.path + " || ''), " + quote(c.value) + ")";
    const symbol = { equals: "==", greater_than: ">", less_than: "<" }[c.operator];
    // A number the event sends as text ("88.00") is compared as a number through to_number.
    const subject = c.as_number && numeric(c) ? "to_number(" + c.path + ")" : c.path;
    return subject + " " + symbol + " " + literal(c.value);
  }

  function numeric(c) {
    return c.operator !== "contains" && c.operator !== "exists" && NUMBER.test(c.value) && Number.isFinite(Number(c.value));
  }

  function compile(model) {
    const parts = [];
    if (model.event_type) parts.push("type == " + quote(model.event_type));
    const names = model.event_names.filter(function (n) { return n !== ""; })
      .map(function (n) { return model.ignore_case ? n.toLowerCase() : n; });
    const subject = model.ignore_case ? "lower(event)" : "event";
    if (names.length === 1) parts.push(subject + " == " + quote(names[0]));
    else if (names.length > 1) parts.push("contains([" + names.map(quote).join(", ") + "], " + subject + ")");
    const conditions = model.conditions.filter(function (c) { return c.path.trim() !== ""; }).map(conditionText);
    if (model.match === "any" && conditions.length > 1) parts.push("(" + conditions.join(" || ") + ")");
    else parts.push.apply(parts, conditions);
    return parts.join(" && ");
  }

  function element(tag, attributes, children) {
    const node = document.createElement(tag);
    Object.entries(attributes || {}).forEach(function ([key, value]) {
      if (key === "text") node.textContent = value;
      else if (value === true) node.setAttribute(key, "");
      else if (value !== false && value !== null && value !== undefined) node.setAttribute(key, value);
    });
    (children || []).forEach(function (child) { node.append(child); });
    if (readOnly && /^(INPUT|SELECT|BUTTON)$/.test(tag.toUpperCase()) && !node.dataset.mode) node.disabled = true;
    return node;
  }

  // Event names offered: the samples' (presets and events received, as this person may see them).
  const knownNames = new Set();
  JSON.parse(document.getElementById("samples").textContent).forEach(function (sample) {
    if (sample && typeof sample.event === "string" && sample.event !== "•••") knownNames.add(sample.event);
  });
  const namesList = element("datalist", { id: "event-names" },
    Array.from(knownNames).map(function (name) { return element("option", { value: name }); }));
  document.body.append(namesList);

  function nameInput(value) {
    const input = element("input", { type: "text", value: value, list: "event-names", "data-event-name": true,
      "aria-label": "Event name", placeholder: "Order Shipped", spellcheck: "false" });
    const remove = element("button", { type: "button", class: "icon", "data-remove-name": true,
      "aria-label": "Remove this name", text: "✕" });
    return element("span", { class: "name" }, [input, remove]);
  }

  function conditionRow(condition) {
    const path = element("input", { type: "text", class: "code", value: condition.path, "data-condition-path": true,
      "aria-label": "Field", placeholder: "properties.total", spellcheck: "false", list: "sample-paths" });
    const operator = element("select", { "data-condition-operator": true, "aria-label": "Comparison" },
      OPERATORS.map(function ([key, label]) {
        return element("option", { value: key, text: label, selected: key === condition.operator });
      }));
    const value = element("input", { type: "text", value: condition.value, "data-condition-value": true,
      "aria-label": "Value", placeholder: "value", spellcheck: "false", hidden: condition.operator === "exists" });
    const remove = element("button", { type: "button", class: "icon", "data-remove-condition": true,
      "aria-label": "Remove this condition", text: "✕" });
    const asNumber = element("label", { class: "inline as-number", hidden: !numeric(condition) }, [
      element("input", { type: "checkbox", "data-as-number": true, checked: Boolean(condition.as_number) }),
      " as a number"]);
    // Offered when the preview finds the field is text holding a number ("88.00") in the sample.
    const offer = element("button", { type: "button", class: "offer", "data-offer-number": true, hidden: true,
      text: "It is text in the event: compare it as a number" });
    return element("div", { class: "condition" }, [element("div", { class: "path" }, [element("label", {}, [path])]),
      operator, value, asNumber, remove, offer]);
  }

  function render(model) {
    const typeSelect = element("select", { id: "trigger-type", "data-event-type": true },
      [element("option", { value: "", text: "Any type", selected: model.event_type === "" })].concat(
        types.map(function (type) { return element("option", { value: type, text: type, selected: type === model.event_type }); })));
    const names = element("div", { class: "names", "data-event-names": true },
      (model.event_names.length ? model.event_names : [""]).map(nameInput));
    const ignoreCase = element("input", { type: "checkbox", id: "trigger-ignore-case", "data-ignore-case": true,
      checked: model.ignore_case });
    const match = element("select", { id: "trigger-match", "data-match": true }, [
      element("option", { value: "all", text: "all of these conditions", selected: model.match !== "any" }),
      element("option", { value: "any", text: "any of these conditions", selected: model.match === "any" }),
    ]);
    const conditions = element("div", { class: "conditions", "data-conditions": true },
      model.conditions.map(conditionRow));
    host.replaceChildren(
      element("div", { class: "builder-line" }, [element("label", { for: "trigger-type", text: "Event type" }), typeSelect]),
      element("div", { class: "builder-line" }, [
        element("span", { class: "label", text: "Event name is one of" }), names,
        element("button", { type: "button", "data-add-name": true, text: "Or another name" }),
        element("label", { class: "inline" }, [ignoreCase, " Ignore upper and lower case"]),
      ]),
      element("div", { class: "builder-line match", hidden: model.conditions.length < 2 }, [
        element("label", { for: "trigger-match", text: "Match" }), match]),
      conditions,
      element("button", { type: "button", "data-add-condition": true, text: "Add a condition on a property" }),
    );
  }

  function read() {
    return {
      event_type: host.querySelector("[data-event-type]").value,
      event_names: Array.from(host.querySelectorAll("[data-event-name]")).map(function (i) { return i.value; }),
      ignore_case: host.querySelector("[data-ignore-case]").checked,
      match: host.querySelector("[data-match]").value,
      conditions: Array.from(host.querySelectorAll(".condition")).map(function (row) {
        return {
          path: row.querySelector("[data-condition-path]").value.trim(),
          operator: row.querySelector("[data-condition-operator]").value,
          value: row.querySelector("[data-condition-value]").value,
          as_number: row.querySelector("[data-as-number]").checked,
        };
      }),
    };
  }

  function write() {
    host.querySelectorAll(".condition").forEach(function (row) {
      const operator = row.querySelector("[data-condition-operator]").value;
      row.querySelector("[data-condition-value]").hidden = operator === "exists";
      row.querySelector(".as-number").hidden = !numeric({ operator: operator,
        value: row.querySelector("[data-condition-value]").value });
    });
    host.querySelector(".match").hidden = host.querySelectorAll(".condition").length < 2;
    textarea.value = compile(read());
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  host.addEventListener("input", function (event) { event.stopPropagation(); write(); });
  host.addEventListener("change", function (event) { event.stopPropagation(); write(); });
  host.addEventListener("click", function (event) {
    if (event.target.closest("[data-add-name]")) {
      const added = nameInput("");
      host.querySelector("[data-event-names]").append(added);
      added.querySelector("input").focus();
    } else if (event.target.closest("[data-add-condition]")) {
      const added = conditionRow({ path: "", operator: "equals", value: "" });
      host.querySelector("[data-conditions]").append(added);
      added.querySelector("input").focus();
      write();
    } else if (event.target.closest("[data-remove-name]")) {
      const names = host.querySelector("[data-event-names]");
      event.target.closest(".name").remove();
      if (!names.children.length) names.append(nameInput(""));
      write();
    } else if (event.target.closest("[data-remove-condition]")) {
      event.target.closest(".condition").remove();
      write();
    } else if (event.target.closest("[data-offer-number]")) {
      const row = event.target.closest(".condition");
      row.querySelector("[data-as-number]").checked = true;
      event.target.hidden = true;
      write();
    }
  });

  // The two modes: the builder, or the expression itself (always in sync with the builder).
  const note = element("p", { class: "help", "data-builder-note": true, hidden: true, role: "status" });
  const useBuilder = element("button", { type: "button", "data-mode": "builder", text: "Builder" });
  const useExpression = element("button", { type: "button", "data-mode": "expression", text: "Expression" });
  const switcher = element("div", { class: "value-mode trigger-mode", role: "group", "aria-label": "How to write the trigger" },
    [useBuilder, useExpression]);
  host.before(switcher);
  host.after(note);

  function show(mode) {
    host.hidden = mode !== "builder";
    expressionField.hidden = mode === "builder";
    useBuilder.setAttribute("aria-pressed", String(mode === "builder"));
    useExpression.setAttribute("aria-pressed", String(mode === "expression"));
  }

  function parsedModel() {
    const data = document.getElementById("trigger-model");
    return data ? JSON.parse(data.textContent) : null;
  }

  useExpression.addEventListener("click", function () { note.hidden = true; show("expression"); textarea.focus(); });
  useBuilder.addEventListener("click", async function () {
    if (!host.hidden) return;
    await window.relayPreview.run(); // the server reads the trigger as it is now
    const model = parsedModel();
    if (model === null) {
      note.textContent = "This trigger is more than the builder can show (it uses other functions, nesting or " +
        "comparisons): keep editing it as an expression.";
      note.hidden = false;
      return;
    }
    note.hidden = true;
    render(model);
    show("builder");
  });

  // After each preview: offer "as a number" on the conditions the server found comparing a number with text.
  function showOffers() {
    const model = parsedModel();
    const offers = model && model.number_offers ? model.number_offers : [];
    host.querySelectorAll(".condition").forEach(function (row, index) {
      const checked = row.querySelector("[data-as-number]").checked;
      row.querySelector("[data-offer-number]").hidden = readOnly || checked || offers.indexOf(index) === -1;
    });
  }
  document.addEventListener("relay:preview", showOffers);

  const initial = parsedModel();
  if (initial !== null) render(initial);
  showOffers();
  show(initial !== null ? "builder" : "expression");
  window.relayTrigger = { compile: compile };
})();
