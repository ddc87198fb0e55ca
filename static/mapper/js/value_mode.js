// Text or field: each mapping is either a fixed text, typed as plain text and quoted for you, or a
// field (the JMESPath expression, with the field picker). Only the expression is posted, so the
// raw expression is always one click away; a mapping that is exactly one text literal reopens as
// text. The quoting rule is mapper/trigger_builder.py's quote_text.
(function () {
  "use strict";
  const form = document.getElementById("action-form");
  if (!form) return;

  function quoteText(text) {
    if (!text.includes("\\")) return "'" + text.replace(/'/g, "\\'") + "'";
    return "`" + JSON.stringify(text).replace(/`/g, "\\`") + "`";
  }

  // The text an expression stands for when it is one text literal, else null. JMESPath's lexer
  // keeps backslashes in '…' except before a quote, and reads `…` as JSON.
  function literalText(expression) {
    const source = expression.trim();
    let match = /^'((?:[^'\\]|\\[\s\S])*)'$/.exec(source);
    if (match) return match[1].replace(/\\'/g, "'");
    match = /^`((?:[^`\\]|\\[\s\S])*)`$/.exec(source);
    if (match) {
      try {
        const value = JSON.parse(match[1].replace(/\\`/g, "`"));
        return typeof value === "string" ? value : null;
      } catch (error) {
        return null;
      }
    }
    return null;
  }

  function setUp(input) {
    if (input.dataset.valueMode) return;
    input.dataset.valueMode = "field";
    // The field's own words ("Event name *:" reads "Event name").
    const name = input.closest(".row") ? "this row" : (input.labels[0] ? input.labels[0].textContent.replace(/[*:]/g, "").trim() : "this field");
    const wrapper = input.closest(".row") ? input.closest("label") : input;
    const switcher = document.createElement("span");
    switcher.className = "value-mode";
    switcher.setAttribute("role", "group");
    switcher.setAttribute("aria-label", "Value of " + name);
    const asField = document.createElement("button");
    asField.type = "button";
    asField.textContent = "Field";
    asField.title = "A field of the event, or any JMESPath expression";
    const asText = document.createElement("button");
    asText.type = "button";
    asText.textContent = "Text";
    asText.title = "A fixed text, sent as typed";
    switcher.append(asField, asText);
    const text = document.createElement("input");
    text.type = "text";
    text.className = "text-value";
    text.placeholder = "Fixed text, sent as typed";
    text.setAttribute("aria-label", "Fixed text for " + name);
    text.spellcheck = false;
    text.readOnly = input.readOnly;
    asField.disabled = asText.disabled = input.readOnly;
    wrapper.before(switcher);
    wrapper.after(text);
    let expressionBefore = null; // what switching back to Field restores when no text was typed

    function show(mode) {
      input.dataset.valueMode = mode;
      asField.setAttribute("aria-pressed", String(mode === "field"));
      asText.setAttribute("aria-pressed", String(mode === "text"));
      wrapper.hidden = mode === "text";
      text.hidden = mode !== "text";
      const pick = wrapper.parentElement.querySelector("button.pick");
      if (pick) pick.hidden = mode === "text";
    }

    asText.addEventListener("click", function () {
      if (input.dataset.valueMode === "text") return;
      const current = literalText(input.value);
      expressionBefore = current === null && input.value.trim() ? input.value : null;
      text.value = current === null ? "" : current;
      if (current === null && input.value.trim()) {
        input.value = "";
        input.dispatchEvent(new Event("input", { bubbles: true }));
      }
      show("text");
      text.focus();
    });
    asField.addEventListener("click", function () {
      if (input.dataset.valueMode === "field") return;
      if (expressionBefore !== null && text.value === "") {
        input.value = expressionBefore;
        input.dispatchEvent(new Event("input", { bubbles: true }));
      }
      expressionBefore = null;
      show("field");
      input.focus();
    });
    text.addEventListener("input", function (event) {
      event.stopPropagation(); // the expression's own input event below is the one the form hears
      expressionBefore = null;
      input.value = text.value === "" ? "" : quoteText(text.value);
      input.dispatchEvent(new Event("input", { bubbles: true }));
    });

    const current = literalText(input.value);
    if (current !== null) text.value = current;
    show(current !== null ? "text" : "field");
  }

  function setUpAll() {
    form.querySelectorAll("input[data-field], input[name$='__expr']").forEach(setUp);
  }
  new MutationObserver(setUpAll).observe(form, { childList: true, subtree: true });
  setUpAll();
  window.relayText = { quote: quoteText, literal: literalText };
})();
