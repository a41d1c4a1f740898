// The page under test: a plugin's config schema rendered by react-jsonschema-form with its
// stock validator (Ajv 8), as UIs such as OpenMetadata's render connector forms, laid out by the
// plugin's uiSchema (`host-example schema --ui`). The schema and uiSchema are set on
// `window.CONFIG_SCHEMA` and `window.CONFIG_UI_SCHEMA` before this script runs; the outcome of a
// submit lands on `window.formResult` for the driver (run.mjs) to read, and what the form holds
// (as entered, valid or not) on `window.formData`.
import React from "react";
import { createRoot } from "react-dom/client";
import Form from "@rjsf/core";
import validator from "@rjsf/validator-ajv8";

// The uiSchema node of an error's field: `.a.b.0.c` is a → b → items → c.
function uiAt(uiSchema, property) {
  return (property || "")
    .split(".")
    .filter((p) => p !== "")
    .reduce((node, part) => (node === undefined ? undefined : /^[0-9]+$/.test(part) ? node.items : node[part]), uiSchema);
}

// Each refusal in the plugin's words (`ui:options.errorMessages`, by the validator's keyword)
// where it gives them, instead of the validator's (`must match pattern "^[a-z]{2}…"`).
function inPluginsWords(errors, uiSchema) {
  return errors.map((error) => {
    const words = uiAt(uiSchema, error.property)?.["ui:options"]?.errorMessages?.[error.name];
    if (!words) return error;
    return { ...error, message: words, stack: error.stack.replace(error.message, words) };
  });
}

function App() {
  return (
    <Form
      schema={window.CONFIG_SCHEMA}
      uiSchema={window.CONFIG_UI_SCHEMA}
      transformErrors={inPluginsWords}
      validator={validator}
      showErrorList="top"
      onChange={({ formData }) => {
        window.formData = formData;
      }}
      onSubmit={({ formData }) => {
        window.formResult = { accepted: true, formData };
      }}
      onError={(errors) => {
        window.formResult = {
          accepted: false,
          errors: errors.map((e) => ({ property: e.property, message: e.message })),
        };
      }}
    />
  );
}

createRoot(document.getElementById("root")).render(<App />);
