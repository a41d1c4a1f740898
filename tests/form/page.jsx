// The page under test: a plugin's config schema rendered by react-jsonschema-form with its
// stock validator (Ajv 8), as UIs such as OpenMetadata's render connector forms. The schema is
// set on `window.CONFIG_SCHEMA` before this script runs; the outcome of a submit lands on
// `window.formResult` for the driver (run.mjs) to read, and what the form holds (as entered,
// valid or not) on `window.formData`.
import React from "react";
import { createRoot } from "react-dom/client";
import Form from "@rjsf/core";
import validator from "@rjsf/validator-ajv8";

function App() {
  return (
    <Form
      schema={window.CONFIG_SCHEMA}
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
