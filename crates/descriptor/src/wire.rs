//! The lenient reader: a private wire struct, then `TryFrom` into the validated [`Descriptor`].

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::MAX_RANK;
use crate::descriptor::{Descriptor, ParseOptions, Parsed, Parts};
use crate::error::{DescriptorError, Warning, show};
use crate::format::{Format, FormatError, Level, PredefinedFormat};
use crate::structure::Structure;
use crate::table::product;
use crate::types::{DataType, ScalarType};

/// The namespace object as written by any producer: every field optional, unknown keys kept.
#[derive(Deserialize)]
struct WireInner {
    version: Option<Value>,
    format: Option<Value>,
    shape: Option<Value>,
    number_of_stored_values: Option<Value>,
    data_types: Option<Value>,
    fill: Option<Value>,
    structure: Option<Value>,
    custom: Option<Value>,
    /// Finch before 2025: `tensor` for `custom`.
    tensor: Option<Value>,
    /// Finch: ignored.
    attrs: Option<Value>,
    /// Spec 2024-05 to 2026-03: ignored.
    attributes: Option<Value>,
    #[serde(flatten)]
    unknown: Map<String, Value>,
}

/// A decoded but unvalidated descriptor, with the options that govern its conversion.
struct Wire<'a> {
    inner: WireInner,
    user_keys: Map<String, Value>,
    options: &'a ParseOptions,
}

/// Entry point used by `Descriptor::from_value`.
pub(crate) fn parse(value: &Value, options: &ParseOptions) -> Result<Parsed, DescriptorError> {
    let top = value
        .as_object()
        .ok_or_else(|| DescriptorError::WrongType {
            key: "(descriptor)".to_owned(),
            expected: "a JSON object",
            value: show(value),
        })?;
    let (inner, user_keys) = match top.get("binsparse") {
        Some(ns) => {
            if !ns.is_object() {
                return Err(DescriptorError::WrongType {
                    key: "binsparse".to_owned(),
                    expected: "an object",
                    value: show(ns),
                });
            }
            let user: Map<String, Value> = top
                .iter()
                .filter(|(k, _)| *k != "binsparse")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            (ns, user)
        }
        None if ["format", "data_types", "custom", "shape"]
            .iter()
            .any(|k| top.contains_key(*k)) =>
        {
            (value, Map::new())
        }
        None => {
            return Err(DescriptorError::MissingKey {
                key: "binsparse".to_owned(),
            });
        }
    };
    let inner = WireInner::deserialize(inner).map_err(|e| DescriptorError::WrongType {
        key: "binsparse".to_owned(),
        expected: "a binsparse namespace object",
        value: e.to_string(),
    })?;
    Parsed::try_from(Wire {
        inner,
        user_keys,
        options,
    })
}

fn key(k: &str) -> String {
    format!("binsparse.{k}")
}

impl TryFrom<Wire<'_>> for Parsed {
    type Error = DescriptorError;

    fn try_from(wire: Wire<'_>) -> Result<Self, Self::Error> {
        let Wire {
            inner,
            user_keys,
            options,
        } = wire;
        let lenient = options.is_lenient();
        let mut warnings = Vec::new();

        for (k, v) in &inner.unknown {
            if !lenient {
                return Err(DescriptorError::UnknownKey {
                    key: key(k),
                    value: show(v),
                });
            }
            warnings.push(Warning::UnknownKeyDropped { key: key(k) });
        }
        for (name, v) in [("attrs", &inner.attrs), ("attributes", &inner.attributes)] {
            if v.is_some() {
                warnings.push(Warning::IgnoredKey { key: key(name) });
            }
        }

        match &inner.version {
            None if lenient => warnings.push(Warning::VersionAssumed),
            None => {
                return Err(DescriptorError::MissingKey {
                    key: key("version"),
                });
            }
            Some(Value::String(s)) if s == "0.1" || s == "0.1.0" => {}
            Some(Value::String(s)) => {
                return Err(DescriptorError::UnsupportedVersion {
                    key: key("version"),
                    value: show(&Value::String(s.clone())),
                });
            }
            Some(other) => {
                return Err(DescriptorError::WrongType {
                    key: key("version"),
                    expected: "a version string",
                    value: show(other),
                });
            }
        }

        let format = read_format(&inner, lenient, &mut warnings)?;

        let shape_v = inner
            .shape
            .as_ref()
            .ok_or_else(|| DescriptorError::MissingKey { key: key("shape") })?;
        let shape = read_shape(shape_v)?;

        let fill = match &inner.fill {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                return Err(DescriptorError::WrongType {
                    key: key("fill"),
                    expected: "a boolean",
                    value: show(other),
                });
            }
        };

        let structure = match &inner.structure {
            None => None,
            Some(Value::String(s)) => {
                Some(
                    s.parse::<Structure>()
                        .map_err(|_| DescriptorError::BadStructure {
                            key: key("structure"),
                            value: show(&Value::String(s.clone())),
                            reason: "not one of the six binsparse structure values",
                        })?,
                )
            }
            Some(other) => {
                return Err(DescriptorError::WrongType {
                    key: key("structure"),
                    expected: "a structure string",
                    value: show(other),
                });
            }
        };

        let dts_v = inner
            .data_types
            .as_ref()
            .ok_or_else(|| DescriptorError::MissingKey {
                key: key("data_types"),
            })?;
        let data_types = read_data_types(dts_v, &mut warnings)?;

        let nnz = match &inner.number_of_stored_values {
            Some(v) => Some(read_size(v, "number_of_stored_values")?),
            None if lenient => {
                // Dense-only formats store every position: nnz is the element count.
                let derived = if format.is_sparse() || shape.len() != format.rank() {
                    None
                } else {
                    product(&shape)
                };
                warnings.push(Warning::NnzMissing {
                    derived: derived.is_some(),
                });
                derived
            }
            None => {
                return Err(DescriptorError::MissingKey {
                    key: key("number_of_stored_values"),
                });
            }
        };

        let descriptor = Descriptor::validate(
            Parts {
                format,
                shape,
                nnz,
                fill,
                structure,
                data_types,
                user_keys,
            },
            options.extension_types(),
        )?;
        Ok(Parsed {
            descriptor,
            warnings,
        })
    }
}

/// Resolve `format` and the custom block, in every placement producers use.
fn read_format(
    inner: &WireInner,
    lenient: bool,
    warnings: &mut Vec<Warning>,
) -> Result<Format, DescriptorError> {
    // Sibling custom block: `custom`, or legacy `tensor` in lenient mode.
    let sibling = match (&inner.custom, &inner.tensor) {
        (Some(_), Some(t)) => {
            return Err(DescriptorError::UnsupportedFeature {
                key: key("tensor"),
                value: show(t),
                reason: "both `custom` and the legacy `tensor` are present",
            });
        }
        (Some(c), None) => Some((c, key("custom"))),
        (None, Some(t)) => {
            legacy(lenient, "tensor", t, "custom", warnings)?;
            Some((t, key("tensor")))
        }
        (None, None) => None,
    };
    let sibling = match sibling {
        Some((v, k)) => Some((read_custom(v, &k, lenient, warnings)?, k)),
        None => None,
    };
    let fkey = key("format");
    match &inner.format {
        None => match sibling {
            Some((f, _)) => Ok(f),
            None => Err(DescriptorError::MissingKey { key: fkey }),
        },
        Some(Value::String(name)) if name == "custom" => match sibling {
            Some((f, _)) => Ok(f),
            None => Err(DescriptorError::MissingKey { key: key("custom") }),
        },
        Some(Value::String(name)) => {
            let alias =
                name.parse::<PredefinedFormat>()
                    .map_err(|_| DescriptorError::UnknownFormat {
                        key: fkey.clone(),
                        value: show(&Value::String(name.clone())),
                    })?;
            let f = Format::from(alias);
            if let Some((custom, _)) = sibling
                && custom != f
            {
                return Err(DescriptorError::FormatConflict {
                    key: fkey,
                    value: show(&Value::String(name.clone())),
                    custom: custom.summary(),
                });
            }
            Ok(f)
        }
        Some(Value::Object(obj)) => {
            let mut nested = None;
            for (k, v) in obj {
                let path = format!("{fkey}.{k}");
                match k.as_str() {
                    "custom" => nested = Some(read_custom(v, &path, lenient, warnings)?),
                    "tensor" => {
                        legacy(lenient, "format.tensor", v, "custom", warnings)?;
                        nested = Some(read_custom(v, &path, lenient, warnings)?);
                    }
                    "subformat" => {
                        return Err(DescriptorError::UnsupportedFeature {
                            key: path,
                            value: show(v),
                            reason: "the 2023 draft level syntax is not binsparse 0.1; use `custom`",
                        });
                    }
                    _ => {
                        return Err(DescriptorError::UnknownKey {
                            key: path,
                            value: show(v),
                        });
                    }
                }
            }
            let nested = nested.ok_or_else(|| DescriptorError::MissingKey {
                key: format!("{fkey}.custom"),
            })?;
            if let Some((custom, _)) = sibling
                && custom != nested
            {
                return Err(DescriptorError::FormatConflict {
                    key: fkey,
                    value: nested.summary(),
                    custom: custom.summary(),
                });
            }
            Ok(nested)
        }
        Some(other) => Err(DescriptorError::WrongType {
            key: fkey,
            expected: "a format name or {\"custom\": …}",
            value: show(other),
        }),
    }
}

/// Accept a legacy key in lenient mode (with a warning), refuse it otherwise.
fn legacy(
    lenient: bool,
    name: &str,
    value: &Value,
    replacement: &'static str,
    warnings: &mut Vec<Warning>,
) -> Result<(), DescriptorError> {
    if !lenient {
        return Err(DescriptorError::LenientOnly {
            key: key(name),
            value: show(value),
        });
    }
    warnings.push(Warning::LegacyKey {
        key: key(name),
        replacement,
    });
    Ok(())
}

/// Parse `{"level": …, "transpose": […]}`.
fn read_custom(
    v: &Value,
    path: &str,
    lenient: bool,
    warnings: &mut Vec<Warning>,
) -> Result<Format, DescriptorError> {
    let obj = v.as_object().ok_or_else(|| DescriptorError::WrongType {
        key: path.to_owned(),
        expected: "a custom format object",
        value: show(v),
    })?;
    let mut level = None;
    let mut transpose = None;
    for (k, val) in obj {
        let kp = format!("{path}.{k}");
        match k.as_str() {
            "level" => level = Some(val),
            "transpose" => transpose = Some((val, kp)),
            "index_base" | "sorted" | "split_dims" | "combine_dims" | "slice" => {
                return Err(DescriptorError::UnsupportedFeature {
                    key: kp,
                    value: show(val),
                    reason: "a draft spec proposal (PRs #61, #63), not binsparse 0.1",
                });
            }
            _ if lenient => warnings.push(Warning::UnknownKeyDropped { key: kp }),
            _ => {
                return Err(DescriptorError::UnknownKey {
                    key: kp,
                    value: show(val),
                });
            }
        }
    }
    let level = level.ok_or_else(|| DescriptorError::MissingKey {
        key: format!("{path}.level"),
    })?;
    let levels = read_levels(level, &format!("{path}.level"), lenient, warnings)?;
    let rank: usize = levels.iter().map(|l| l.rank()).sum();
    let perm = match &transpose {
        None => None,
        Some((tv, tk)) => Some(read_transpose(tv, tk, rank)?),
    };
    Format::new(levels, perm).map_err(|e| match e {
        FormatError::BadTranspose => {
            let (tv, tk) = transpose
                .as_ref()
                .map_or((Value::Null, format!("{path}.transpose")), |(v, k)| {
                    ((*v).clone(), k.clone())
                });
            DescriptorError::BadTranspose {
                key: tk,
                value: show(&tv),
                rank,
            }
        }
        FormatError::RankTooLarge => DescriptorError::BadLevel {
            key: format!("{path}.level"),
            value: rank.to_string(),
            reason: "total rank above the cap",
        },
        _ => DescriptorError::BadLevel {
            key: format!("{path}.level"),
            value: show(level),
            reason: "a level chain must end in exactly one element level",
        },
    })
}

/// A transpose: an array of non-negative integers (permutation checked by `Format::new`).
fn read_transpose(v: &Value, k: &str, rank: usize) -> Result<Vec<usize>, DescriptorError> {
    let bad = || DescriptorError::BadTranspose {
        key: k.to_owned(),
        value: show(v),
        rank,
    };
    let arr = v.as_array().ok_or_else(bad)?;
    if arr.len() > MAX_RANK {
        return Err(bad());
    }
    arr.iter()
        .map(|e| {
            e.as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(bad)
        })
        .collect()
}

/// Walk a nested level chain (iteratively; depth is capped at `MAX_RANK + 1`).
fn read_levels(
    mut v: &Value,
    path: &str,
    lenient: bool,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<Level>, DescriptorError> {
    let mut levels = Vec::new();
    let mut path = path.to_owned();
    loop {
        if levels.len() > MAX_RANK {
            return Err(DescriptorError::BadLevel {
                key: path,
                value: show(v),
                reason: "levels nested deeper than the rank cap",
            });
        }
        let obj = v.as_object().ok_or_else(|| DescriptorError::WrongType {
            key: path.clone(),
            expected: "a level object",
            value: show(v),
        })?;
        let desc = match (obj.get("level_desc"), obj.get("level_kind")) {
            (Some(d), _) => d,
            (None, Some(d)) => {
                legacy_level(lenient, &path, d, warnings)?;
                d
            }
            (None, None) => {
                return Err(DescriptorError::MissingKey {
                    key: format!("{path}.level_desc"),
                });
            }
        };
        let desc = desc.as_str().ok_or_else(|| DescriptorError::WrongType {
            key: format!("{path}.level_desc"),
            expected: "a level_desc string",
            value: show(desc),
        })?;
        for (k, val) in obj {
            let allowed = match desc {
                "element" => matches!(k.as_str(), "level_desc" | "level_kind"),
                _ => matches!(k.as_str(), "level_desc" | "level_kind" | "rank" | "level"),
            };
            if allowed {
                continue;
            }
            let kp = format!("{path}.{k}");
            if k == "contiguous" {
                return Err(DescriptorError::UnsupportedFeature {
                    key: kp,
                    value: show(val),
                    reason: "contiguous COO is a draft proposal (spec PR #60)",
                });
            }
            if !lenient {
                return Err(DescriptorError::UnknownKey {
                    key: kp,
                    value: show(val),
                });
            }
            warnings.push(Warning::UnknownKeyDropped { key: kp });
        }
        match desc {
            "element" => {
                levels.push(Level::Element);
                return Ok(levels);
            }
            "dense" | "sparse" => {
                let rank_v = obj.get("rank").ok_or_else(|| DescriptorError::MissingKey {
                    key: format!("{path}.rank"),
                })?;
                let rank = rank_v
                    .as_u64()
                    .and_then(|r| usize::try_from(r).ok())
                    .filter(|r| (1..=MAX_RANK).contains(r))
                    .ok_or_else(|| DescriptorError::BadLevel {
                        key: format!("{path}.rank"),
                        value: show(rank_v),
                        reason: "rank must be an integer from 1 to the rank cap",
                    })?;
                levels.push(if desc == "dense" {
                    Level::Dense { rank }
                } else {
                    Level::Sparse { rank }
                });
                v = obj
                    .get("level")
                    .ok_or_else(|| DescriptorError::MissingKey {
                        key: format!("{path}.level"),
                    })?;
                path.push_str(".level");
            }
            other => {
                return Err(DescriptorError::BadLevel {
                    key: format!("{path}.level_desc"),
                    value: show(&Value::String(other.to_owned())),
                    reason: "level_desc must be element, dense or sparse",
                });
            }
        }
    }
}

fn legacy_level(
    lenient: bool,
    path: &str,
    value: &Value,
    warnings: &mut Vec<Warning>,
) -> Result<(), DescriptorError> {
    let k = format!("{path}.level_kind");
    if !lenient {
        return Err(DescriptorError::LenientOnly {
            key: k,
            value: show(value),
        });
    }
    warnings.push(Warning::LegacyKey {
        key: k,
        replacement: "level_desc",
    });
    Ok(())
}

/// `shape`: an array of non-negative integers, at most `MAX_RANK` long.
fn read_shape(v: &Value) -> Result<Vec<u64>, DescriptorError> {
    let arr = v.as_array().ok_or_else(|| DescriptorError::WrongType {
        key: key("shape"),
        expected: "an array of non-negative integers",
        value: show(v),
    })?;
    if arr.len() > MAX_RANK {
        return Err(DescriptorError::BadSize {
            key: key("shape"),
            value: format!("{} dimensions", arr.len()),
            reason: "more dimensions than the rank cap",
        });
    }
    arr.iter().map(|e| read_size(e, "shape")).collect()
}

/// A size: a JSON integer in `0..=u64::MAX`.
fn read_size(v: &Value, name: &str) -> Result<u64, DescriptorError> {
    if let Some(n) = v.as_u64() {
        return Ok(n);
    }
    let reason = match v {
        Value::Number(n) if n.is_i64() => "negative",
        // 2^64 as f64: integers this large parse as floats.
        Value::Number(n)
            if n.as_f64()
                .is_some_and(|f| f >= 18_446_744_073_709_551_616.0) =>
        {
            "larger than 2^64 - 1"
        }
        Value::Number(_) => "not an integer",
        _ => "not a number",
    };
    Err(DescriptorError::BadSize {
        key: key(name),
        value: show(v),
        reason,
    })
}

/// `data_types`: an object of type strings; `"bool"` reads as `bint8` with a warning.
fn read_data_types(
    v: &Value,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<(String, DataType)>, DescriptorError> {
    let obj = v.as_object().ok_or_else(|| DescriptorError::WrongType {
        key: key("data_types"),
        expected: "an object mapping array names to type strings",
        value: show(v),
    })?;
    let mut out = Vec::with_capacity(obj.len());
    for (name, t) in obj {
        let k = key(&format!("data_types.{name}"));
        let s = t.as_str().ok_or_else(|| DescriptorError::WrongType {
            key: k.clone(),
            expected: "a type string",
            value: show(t),
        })?;
        let dt = match s {
            "bool" => Some(DataType::new(ScalarType::Bint8)),
            "iso[bool]" => Some(DataType::iso(ScalarType::Bint8)),
            _ => None,
        };
        let dt = match dt {
            Some(dt) => {
                warnings.push(Warning::BoolAsBint8 { key: k });
                dt
            }
            None => s
                .parse::<DataType>()
                .map_err(|_| DescriptorError::BadTypeString {
                    key: k,
                    value: show(t),
                })?,
        };
        out.push((name.clone(), dt));
    }
    Ok(out)
}
