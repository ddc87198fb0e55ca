// Products without code: for an action type that declares a products table (Attentive's e-commerce
// `items`), the products are built from a list of
// products in the event. Choose the list (the arrays of objects in the sample, or one product in
// `properties`), then map each product field from the fields of one element, each a list of
// candidates (the first valid one is used), with the sample's first product beside each. It writes
// the projection by mapper/product_list.py's rules (`properties.products[*].{productId: product_id}`);
// the server reads the expression back (the preview carries its reading, "mapping-lists"), so what
// it wrote, or the same shape typed by hand, reopens here, and anything else stays an expression.
(function () {
  "use strict";
  const form = document.getElementById("action-form");
  const lists = document.getElementById("mapping-lists");
  if (!form || !lists) return;
  const initialLists = JSON.parse(lists.textContent);
  const FIELDS = initialLists.product_fields;  // the action type's products table (none: no table)
  if (!FIELDS.length) return;
  const input = form.querySelector("input[data-field='" + initialLists.product_field + "']");
  if (!input) return;
  const sampleInput = form.querySelector("[name=sample_event]");
  const SEPARATOR = " || ";
  const readOnly = input.readOnly;
  let model = null; // {source, each, fields}, or null when the expression is more than the editor shows
  let writtenText = null;

  function element(tag, attributes, children) {
    const node = document.createElement(tag);
    Object.entries(attributes || {}).forEach(function ([key, value]) {
      if (key === "text") node.textContent = value;
      else if (value === true) node.setAttribute(key, "");
      else if (value !== false && value !== null && value !== undefined) node.setAttribute(key, value);
    });
    (children || []).forEach(function (child) { node.append(child); });
    return node;
  }

  function compile(m) {
    const parts = FIELDS.map(function ([key]) {
      const listed = (m.fields[key] || []).filter(function (c) { return c.trim() !== ""; });
      return listed.length ? key + ": " + listed.join(SEPARATOR) : null;
    }).filter(Boolean);
    if (!parts.length) return m.source;
    return m.source + (m.each ? "[*]" : "") + ".{" + parts.join(", ") + "}";
  }

  function sample() {
    try {
      return JSON.parse(sampleInput.value);
    } catch (error) {
      return null;
    }
  }

  // Where products can come from: the arrays of objects in the sample, and `properties` as one product.
  function sources() {
    const event = sample();
    if (!event) return [];
    const found = window.relayFieldPaths(event).filter(function ([, value]) {
      return Array.isArray(value) && value.length && value[0] && typeof value[0] === "object" && !Array.isArray(value[0]);
    }).map(function ([path, value]) {
      return { source: path, each: true, label: path + " (" + value.length + " product" + (value.length === 1 ? "" : "s") + ")", first: value[0] };
    });
    if (event.properties && typeof event.properties === "object" && !Array.isArray(event.properties)) {
      found.push({ source: "properties", each: false, label: "properties (one product)", first: event.properties });
    }
    return found;
  }

  function firstProduct() {
    if (!model) return null;
    const found = sources().find(function (s) { return s.source === model.source && s.each === model.each; });
    return found ? found.first : null;
  }

  // The fields of one element (its values shown beside them), to map product fields from.
  function elementFields(first) {
    if (!first) return [];
    return window.relayFieldPaths(first).filter(function ([, value]) {
      return value === null || typeof value !== "object";
    }).slice(0, 200);
  }

  const host = element("div", { class: "product-list", role: "group", "aria-labelledby": "product-list-title", "data-product-list": true });
  const title = element("p", { class: "field-title", id: "product-list-title", text: "Products, field by field" });
  const help = element("p", { class: "help", text: "Each product is built from one element of a list of products in " +
    "the event: choose the list, then where each product field comes from. When a field lists more than one, " +
    "the first valid one is used." });
  const sourceSelect = element("select", { id: "product-source", "data-product-source": true, disabled: readOnly });
  const note = element("p", { class: "help", "data-product-note": true, role: "status", hidden: true });
  const table = element("table", { class: "product-fields" });
  host.append(title, help, element("div", { class: "builder-line" }, [
    element("label", { for: "product-source", text: "Products come from" }), sourceSelect]), note, table);
  (input.closest(".field") || input.parentElement).after(host);

  function renderSources() {
    const options = sources();
    if (model && !options.some(function (s) { return s.source === model.source && s.each === model.each; })) {
      options.push({ source: model.source, each: model.each, label: model.source + " (not in this sample)" });
    }
    const chosen = model ? model.source + "|" + (model.each ? "each" : "one") : "";
    sourceSelect.replaceChildren.apply(sourceSelect, [element("option", { value: "", text: "Choose a list of products…", selected: chosen === "" })].concat(
      options.map(function (s) {
        const value = s.source + "|" + (s.each ? "each" : "one");
        return element("option", { value: value, text: s.label, selected: value === chosen });
      })));
  }

  function shownValue(candidates, values) {
    for (const candidate of candidates) {
      const literal = window.relayText.literal(candidate);
      if (literal !== null) return JSON.stringify(literal);
      if (values.has(candidate) && values.get(candidate) !== null && values.get(candidate) !== "") {
        return window.relayShown(values.get(candidate));
      }
    }
    return candidates.length ? "nothing in the first product" : "—";
  }

  function renderFields() {
    if (!model) {
      table.replaceChildren();
      table.hidden = true;
      return;
    }
    table.hidden = false;
    const first = firstProduct();
    const fields = elementFields(first);
    const values = new Map(fields);
    const head = element("thead", {}, [element("tr", {}, [
      element("th", { scope: "col", text: "Product field" }),
      element("th", { scope: "col", text: "From the product's fields" }),
      element("th", { scope: "col", text: "First product" })])]);
    const body = element("tbody", {}, FIELDS.map(function ([key, label]) {
      const listed = model.fields[key] || [];
      const chips = element("ul", { class: "chips", "aria-label": label + " comes from" }, listed.map(function (candidate, index) {
        const chip = element("li", { "data-candidate": candidate }, [element("code", { text: candidate })]);
        if (!readOnly) {
          chip.append(element("button", { type: "button", class: "icon", "data-remove-candidate": String(index),
            "aria-label": "Remove " + candidate + " from " + label, text: "✕" }));
        }
        return chip;
      }));
      const add = element("select", { "data-add-candidate": key, "aria-label": "Add a field to " + label, disabled: readOnly || !fields.length },
        [element("option", { value: "", text: listed.length ? "Add a fallback…" : "Choose a field…" })].concat(
          fields.filter(function ([path]) { return listed.indexOf(path) === -1; }).map(function ([path, value]) {
            return element("option", { value: path, text: path + " · " + window.relayShown(value) });
          })));
      return element("tr", { "data-product-field": key }, [
        element("th", { scope: "row", text: label }),
        element("td", {}, [chips, add]),
        element("td", {}, [element("output", { "data-first-value": key, text: shownValue(listed, values) })]),
      ]);
    }));
    table.replaceChildren(head, body);
  }

  function render() {
    renderSources();
    renderFields();
  }

  function write() {
    writtenText = compile(model);
    input.value = writtenText;
    input.dispatchEvent(new Event("input", { bubbles: true }));
    render();
  }

  // Read the expression as the server read it; undefined: typed since the last preview.
  function readBack() {
    const value = input.value.trim();
    if (value === writtenText) return;
    const lists = JSON.parse(document.getElementById("mapping-lists").textContent).products;
    if (!Object.prototype.hasOwnProperty.call(lists, value)) return;
    writtenText = value;
    model = lists[value] ? { source: lists[value].source, each: lists[value].each, fields: lists[value].fields } : null;
    if (!value) {
      note.hidden = true;
    } else if (!model) {
      note.textContent = "These products are more than the editor can show (a filter, functions or other fields): " +
        "they are kept as the expression above. Choosing a list of products here starts again from it.";
      note.hidden = false;
    } else {
      note.hidden = true;
    }
    render();
  }

  host.addEventListener("change", function (event) {
    event.stopPropagation(); // the expression's own input event is the one the form hears
    if (event.target === sourceSelect) {
      const [source, how] = sourceSelect.value.split("|");
      if (!source) return;
      const fields = model ? model.fields : {};
      model = { source: source, each: how === "each", fields: fields };
      note.hidden = true;
      write();
      return;
    }
    const key = event.target.dataset.addCandidate;
    if (key && event.target.value && model) {
      model.fields[key] = (model.fields[key] || []).concat([event.target.value]);
      write();
      const again = host.querySelector("[data-add-candidate='" + key + "']");
      if (again) again.focus();
    }
  });
  host.addEventListener("input", function (event) { event.stopPropagation(); });
  host.addEventListener("click", function (event) {
    const remove = event.target.closest("[data-remove-candidate]");
    if (!remove || !model) return;
    const key = remove.closest("[data-product-field]").dataset.productField;
    model.fields[key].splice(Number(remove.dataset.removeCandidate), 1);
    if (!model.fields[key].length) delete model.fields[key];
    write();
    const next = host.querySelector("[data-product-field='" + key + "'] [data-remove-candidate], [data-add-candidate='" + key + "']");
    if (next) next.focus();
  });
  // The field picker beside the expression chooses the list of products, never replacing the projection.
  input.addEventListener("relay:pick", function (event) {
    event.preventDefault();
    const found = sources().find(function (s) { return s.source === event.detail.path; });
    if (!found) {
      note.textContent = "Pick a list of products (an array of objects) for the products, then their fields below.";
      note.hidden = false;
      return;
    }
    model = { source: found.source, each: found.each, fields: model ? model.fields : {} };
    note.hidden = true;
    write();
  });
  document.addEventListener("relay:preview", readBack);
  sampleInput.addEventListener("input", render);
  form.addEventListener("change", function (event) {
    if (event.target.matches("[data-sample-picker]")) render();
  });
  readBack();
  render();
  window.relayProducts = { compile: compile };
})();
