use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

/// One struct field to generate.
struct Field {
    name: String,
    rust_type: String,
    desc: Option<String>,
}

/// One enum to generate, for a `Literal[...]` annotation.
struct EnumDef {
    name: String,
    values: Vec<String>,
}

const SUPPORTED: &str = "str, int, float, bool, list[T], dict[str, T], Optional[T], Literal[...]";

// ---- Reading annotations ------------------------------------------------------------

/// The Rust type for one Python annotation. `field` is for error messages; `enum_name`
/// names the enum a `Literal` becomes (pushed onto `enums`).
fn rust_type(
    annotation: &Bound<'_, PyAny>,
    field: &str,
    enum_name: &str,
    enums: &mut Vec<EnumDef>,
) -> PyResult<String> {
    let py = annotation.py();
    let builtins = py.import("builtins")?;
    for (python, rust) in [
        ("str", "String"),
        ("int", "i64"),
        ("float", "f64"),
        ("bool", "bool"),
    ] {
        if annotation.is(&builtins.getattr(python)?) {
            return Ok(rust.to_string());
        }
    }

    let typing = py.import("typing")?;
    let origin = typing.call_method1("get_origin", (annotation,))?;
    let args = typing
        .call_method1("get_args", (annotation,))?
        .cast_into::<PyTuple>()?;
    let none_type = py.None().bind(py).get_type();

    if origin.is(&builtins.getattr("list")?) && args.len() == 1 {
        let item = rust_type(&args.get_item(0)?, field, enum_name, enums)?;
        return Ok(format!("Vec<{item}>"));
    }
    if origin.is(&builtins.getattr("dict")?)
        && args.len() == 2
        && args.get_item(0)?.is(&builtins.getattr("str")?)
    {
        let value = rust_type(&args.get_item(1)?, field, enum_name, enums)?;
        return Ok(format!("HashMap<String, {value}>"));
    }
    // Optional[T] is Union[T, None]; `T | None` has origin types.UnionType.
    let is_union = origin.is(&typing.getattr("Union")?)
        || origin.is(&py.import("types")?.getattr("UnionType")?);
    if is_union && args.len() == 2 {
        let (first, second) = (args.get_item(0)?, args.get_item(1)?);
        let inner = if second.is(&none_type) {
            Some(first)
        } else if first.is(&none_type) {
            Some(second)
        } else {
            None
        };
        if let Some(inner) = inner {
            return Ok(format!(
                "Option<{}>",
                rust_type(&inner, field, enum_name, enums)?
            ));
        }
    }
    if origin.is(&typing.getattr("Literal")?) {
        let values = args
            .iter()
            .map(|value| value.extract::<String>())
            .collect::<PyResult<Vec<String>>>()
            .map_err(|_| unsupported(field, annotation))?;
        enums.push(EnumDef {
            name: enum_name.to_string(),
            values,
        });
        return Ok(enum_name.to_string());
    }
    Err(unsupported(field, annotation))
}

fn unsupported(field: &str, annotation: &Bound<'_, PyAny>) -> PyErr {
    let shown = annotation
        .repr()
        .map(|r| r.to_string())
        .unwrap_or_else(|_| "this annotation".to_string());
    PyTypeError::new_err(format!(
        "field `{field}`: no Rust type for {shown} (supported: {SUPPORTED})"
    ))
}

/// The fields of `signature.input_fields` or `signature.output_fields`, in order.
/// A `Literal` field `kind` of signature `Triage` becomes the enum `TriageKind`.
fn fields(
    signature: &Bound<'_, PyAny>,
    which: &str,
    signature_name: &str,
    enums: &mut Vec<EnumDef>,
) -> PyResult<Vec<Field>> {
    let mut out = Vec::new();
    for (name, info) in signature.getattr(which)?.cast_into::<PyDict>()?.iter() {
        let name: String = name.extract()?;
        let enum_name = format!("{signature_name}{}", pascal(&name));
        let rust_type = rust_type(&info.getattr("annotation")?, &name, &enum_name, enums)?;
        // DSPy stores descriptions in json_schema_extra; "${name}" is its placeholder.
        let desc = info
            .getattr("json_schema_extra")?
            .cast_into::<PyDict>()?
            .get_item("desc")?
            .map(|d| d.extract::<String>())
            .transpose()?
            .filter(|d| !d.starts_with("${"));
        out.push(Field {
            name,
            rust_type,
            desc,
        });
    }
    Ok(out)
}

// ---- Writing Rust (given) -----------------------------------------------------------

/// "feature request" / "needs_review" → "FeatureRequest" / "NeedsReview".
fn pascal(text: &str) -> String {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
                None => String::new(),
            }
        })
        .collect()
}

fn render_struct(name: &str, fields: &[Field]) -> String {
    let mut out =
        format!("#[derive(Debug, Clone, Serialize, Deserialize)]\npub struct {name} {{\n");
    for field in fields {
        if let Some(desc) = &field.desc {
            out += &format!("    /// {desc}\n");
        }
        out += &format!("    pub {}: {},\n", field.name, field.rust_type);
    }
    out + "}\n"
}

fn render_enum(def: &EnumDef) -> String {
    let mut out = format!(
        "#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]\npub enum {} {{\n",
        def.name
    );
    for value in &def.values {
        out += &format!("    #[serde(rename = {value:?})]\n    {},\n", pascal(value));
    }
    out + "}\n"
}

fn render(name: &str, inputs: &[Field], outputs: &[Field], enums: &[EnumDef]) -> String {
    let uses_map = inputs
        .iter()
        .chain(outputs)
        .any(|f| f.rust_type.contains("HashMap<"));
    let mut parts = Vec::new();
    let mut header = String::new();
    if uses_map {
        header += "use std::collections::HashMap;\n\n";
    }
    header += "use serde::{Deserialize, Serialize};\n";
    parts.push(header);
    parts.push(render_struct(&format!("{name}Inputs"), inputs));
    parts.push(render_struct(&format!("{name}Outputs"), outputs));
    parts.extend(enums.iter().map(render_enum));
    parts.join("\n")
}

// ---- The Python API -----------------------------------------------------------------

/// Rust source for a signature (a class or a string): `{name}Inputs`, `{name}Outputs`
/// and one enum per Literal field.
#[pyfunction]
fn generate(signature: &Bound<'_, PyAny>, name: &str) -> PyResult<String> {
    // Timed for the GIL pane: reading a signature is all Python calls.
    gil_probe::attach("generate", |py| {
        let signature = py
            .import("dspy")?
            .call_method1("ensure_signature", (signature,))?;
        let mut enums = Vec::new();
        let inputs = fields(&signature, "input_fields", name, &mut enums)?;
        let outputs = fields(&signature, "output_fields", name, &mut enums)?;
        Ok(render(name, &inputs, &outputs, &enums))
    })
}

/// The Rust type for one annotation, e.g. `list[str]` → `Vec<String>`.
#[pyfunction]
#[pyo3(name = "rust_type", signature = (annotation, field = "value"))]
fn py_rust_type(annotation: &Bound<'_, PyAny>, field: &str) -> PyResult<String> {
    rust_type(annotation, field, &pascal(field), &mut Vec::new())
}

#[pymodule]
fn signature_codegen(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(generate, m)?)?;
    m.add_function(wrap_pyfunction!(py_rust_type, m)?)?;
    gil_probe::register(m)?;
    Ok(())
}
