//! Malformed descriptors, each rejected with the right error variant (binsparse-protocol.md §9).
//! Every case also checks that the message is one line and names a key or array.

mod common;

use sparsebridge_descriptor::{Descriptor, DescriptorError, ParseOptions};

/// A valid 3×4 CSR descriptor with `$inner` spliced into the namespace after `version`.
fn csr_with(fields: &str) -> String {
    format!(r#"{{"binsparse": {{"version": "0.1", {fields}}}}}"#)
}

const CSR_REST: &str = r#""format": "CSR", "shape": [3, 4], "number_of_stored_values": 5,
    "data_types": {"pointers_to_1": "uint64", "indices_1": "uint64", "values": "float64"}"#;

fn csr_replace(from: &str, to: &str) -> String {
    let s = csr_with(CSR_REST);
    assert!(s.contains(from), "test bug: {from:?} not in base");
    s.replacen(from, to, 1)
}

fn dense_level(child: &str) -> String {
    format!(r#"{{"level_desc": "dense", "rank": 1, "level": {child}}}"#)
}

fn custom(level: &str, transpose: &str, shape: &str, nnz: u64, dts: &str) -> String {
    format!(
        r#"{{"binsparse": {{"version": "0.1", "shape": {shape}, "number_of_stored_values": {nnz},
            "custom": {{"level": {level} {transpose}}}, "data_types": {dts}}}}}"#
    )
}

const EL: &str = r#"{"level_desc": "element"}"#;
const CSR_LEVEL: &str = r#"{"level_desc": "dense", "rank": 1, "level": {"level_desc": "sparse", "rank": 1, "level": {"level_desc": "element"}}}"#;
const CSR_DTS: &str = r#"{"pointers_to_1": "uint64", "indices_1": "uint64", "values": "float64"}"#;

fn check(text: &str, opts: &ParseOptions, ok: fn(&DescriptorError) -> bool, what: &str) {
    match Descriptor::parse(text, opts) {
        Ok(p) => panic!("{what}: expected an error, parsed {:?}", p.descriptor),
        Err(e) => {
            assert!(ok(&e), "{what}: wrong variant {e:?}");
            let msg = e.to_string();
            assert!(!msg.contains('\n'), "{what}: multi-line message {msg:?}");
            let named = !e.key().is_empty()
                || matches!(
                    e,
                    DescriptorError::MalformedJson { .. } | DescriptorError::InputTooLarge { .. }
                );
            assert!(named, "{what}: message names no key: {msg}");
        }
    }
}

macro_rules! bad {
    ($name:ident, $variant:ident, $text:expr) => {
        bad!($name, $variant, $text, ParseOptions::default());
    };
    ($name:ident, $variant:ident, $text:expr, $opts:expr) => {
        #[test]
        fn $name() {
            let text: String = $text;
            check(
                &text,
                &$opts,
                |e| matches!(e, DescriptorError::$variant { .. }),
                stringify!($name),
            );
        }
    };
}

// --- envelope and JSON ---
bad!(not_json, MalformedJson, "{".to_owned());
bad!(
    trailing_garbage,
    MalformedJson,
    format!("{} x", csr_with(CSR_REST))
);
bad!(empty_input, MalformedJson, String::new());
bad!(top_level_array, WrongType, "[]".to_owned());
bad!(top_level_string, WrongType, "\"CSR\"".to_owned());
bad!(
    namespace_not_object,
    WrongType,
    r#"{"binsparse": 3}"#.to_owned()
);
bad!(no_namespace, MissingKey, r#"{"foo": 1}"#.to_owned());
bad!(empty_object, MissingKey, "{}".to_owned());
bad!(
    input_too_large,
    InputTooLarge,
    csr_with(CSR_REST),
    ParseOptions::default().with_max_input_bytes(64)
);
bad!(
    deep_json_nesting,
    MalformedJson,
    format!("{}{}", "[".repeat(10_000), "]".repeat(10_000))
);

// --- version ---
bad!(
    version_missing,
    MissingKey,
    format!(r#"{{"binsparse": {{{CSR_REST}}}}}"#)
);
bad!(
    version_0_2,
    UnsupportedVersion,
    csr_replace("\"0.1\"", "\"0.2\"")
);
bad!(
    version_1_0,
    UnsupportedVersion,
    csr_replace("\"0.1\"", "\"1.0\"")
);
bad!(
    version_0_1_5,
    UnsupportedVersion,
    csr_replace("\"0.1\"", "\"0.1.5\"")
);
bad!(version_number, WrongType, csr_replace("\"0.1\"", "0.1"));

// --- format ---
bad!(
    format_missing,
    MissingKey,
    csr_replace("\"format\": \"CSR\",", "")
);
bad!(format_bsr, UnknownFormat, csr_replace("\"CSR\"", "\"BSR\""));
bad!(
    format_lowercase,
    UnknownFormat,
    csr_replace("\"CSR\"", "\"csr\"")
);
bad!(format_empty, UnknownFormat, csr_replace("\"CSR\"", "\"\""));
bad!(format_number, WrongType, csr_replace("\"CSR\"", "7"));
bad!(
    format_custom_without_block,
    MissingKey,
    csr_replace("\"CSR\"", "\"custom\"")
);
bad!(
    format_object_unknown_key,
    UnknownKey,
    csr_replace("\"CSR\"", r#"{"foo": 1}"#)
);
bad!(
    format_object_subformat,
    UnsupportedFeature,
    csr_replace("\"CSR\"", r#"{"subformat": {"level": "dense"}}"#)
);
bad!(
    alias_disagrees_with_custom,
    FormatConflict,
    csr_replace(
        "\"format\": \"CSR\",",
        &format!(r#""format": "CSC", "custom": {{"level": {CSR_LEVEL}}},"#)
    )
);
bad!(
    coo_alias_with_dense_custom,
    FormatConflict,
    csr_replace(
        "\"format\": \"CSR\",",
        &format!(
            r#""format": "COO", "custom": {{"level": {}}},"#,
            dense_level(&dense_level(EL))
        )
    )
);

// --- shape and rank (§13 rows 6 and 19) ---
bad!(
    shape_missing,
    MissingKey,
    csr_replace("\"shape\": [3, 4],", "")
);
bad!(shape_string, WrongType, csr_replace("[3, 4]", "\"3x4\""));
bad!(shape_negative, BadSize, csr_replace("[3, 4]", "[-1, 4]"));
bad!(shape_fraction, BadSize, csr_replace("[3, 4]", "[3.5, 4]"));
bad!(
    shape_string_extent,
    BadSize,
    csr_replace("[3, 4]", "[3, \"4\"]")
);
bad!(
    shape_too_large_integer,
    BadSize,
    csr_replace("[3, 4]", "[3, 1e30]")
);
bad!(
    shape_over_rank_cap,
    BadSize,
    csr_replace("[3, 4]", &format!("[{}]", vec!["1"; 65].join(",")))
);
bad!(
    dvec_with_2d_shape,
    RankMismatch,
    r#"{"binsparse": {"version": "0.1", "format": "DVEC", "shape": [3, 1],
        "number_of_stored_values": 3, "data_types": {"values": "float64"}}}"#
        .to_owned()
);
bad!(
    csr_with_1d_shape,
    RankMismatch,
    csr_replace("[3, 4]", "[4]")
);
bad!(
    csr_with_3d_shape,
    RankMismatch,
    csr_replace("[3, 4]", "[2, 2, 2]")
);
bad!(csr_with_0d_shape, RankMismatch, csr_replace("[3, 4]", "[]"));
bad!(
    custom_level_ranks_do_not_sum_to_shape,
    RankMismatch,
    custom(
        r#"{"level_desc": "sparse", "rank": 2, "level": {"level_desc": "element"}}"#,
        "",
        "[3]",
        1,
        r#"{"indices_0": "int8", "indices_1": "int8", "values": "int8"}"#
    )
);
bad!(
    root_element_with_1d_shape,
    RankMismatch,
    custom(EL, "", "[3]", 1, r#"{"values": "int8"}"#)
);

// --- number_of_stored_values ---
bad!(
    nnz_missing,
    MissingKey,
    csr_replace("\"number_of_stored_values\": 5,", "")
);
bad!(nnz_negative, BadSize, csr_replace(": 5,", ": -1,"));
bad!(nnz_fraction, BadSize, csr_replace(": 5,", ": 1.5,"));
bad!(nnz_string, BadSize, csr_replace(": 5,", ": \"5\","));
bad!(nnz_huge_float, BadSize, csr_replace(": 5,", ": 1e30,"));
bad!(nnz_integral_float, BadSize, csr_replace(": 5,", ": 5.0,"));

#[test]
fn size_messages_say_what_is_wrong() {
    for (value, reason) in [
        ("-1", "negative"),
        ("5.0", "not an integer"),
        ("1e30", "larger than"),
        ("18446744073709551616", "larger than"),
        ("\"5\"", "not a number"),
    ] {
        let e = common::err(&csr_replace(": 5,", &format!(": {value},")));
        assert!(e.to_string().contains(reason), "{value}: {e}");
    }
}
bad!(
    nnz_more_than_positions,
    NnzMismatch,
    csr_replace(": 5,", ": 13,")
);
bad!(
    dvec_nnz_not_length,
    NnzMismatch,
    r#"{"binsparse": {"version": "0.1", "format": "DVEC", "shape": [3],
        "number_of_stored_values": 2, "data_types": {"values": "float64"}}}"#
        .to_owned()
);
bad!(
    nnz_not_a_multiple_of_dense_block,
    NnzMismatch,
    custom(
        &format!(
            r#"{{"level_desc": "sparse", "rank": 1, "level": {}}}"#,
            dense_level(EL)
        ),
        "",
        "[4, 3]",
        7,
        r#"{"indices_0": "int8", "values": "int8"}"#
    )
);

// --- data_types (§9 step 7) ---
bad!(
    data_types_missing,
    MissingKey,
    csr_with(r#""format": "CSR", "shape": [3, 4], "number_of_stored_values": 5"#)
);
bad!(
    data_types_array,
    WrongType,
    csr_replace(
        r#"{"pointers_to_1": "uint64", "indices_1": "uint64", "values": "float64"}"#,
        "[]"
    )
);
bad!(
    data_types_missing_values,
    DataTypesMismatch,
    csr_replace(r#", "values": "float64""#, "")
);
bad!(
    data_types_missing_pointers,
    DataTypesMismatch,
    csr_replace(r#""pointers_to_1": "uint64", "#, "")
);
bad!(
    coo_with_dummy_pointers,
    DataTypesMismatch,
    r#"{"binsparse": {"version": "0.1", "format": "COOR", "shape": [3, 4], "number_of_stored_values": 5,
        "data_types": {"pointers_to_1": "uint8", "indices_1": "int64", "values": "float64"}}}"#
        .to_owned()
);
bad!(
    data_types_extra_array,
    DataTypesMismatch,
    csr_replace(
        r#""values": "float64""#,
        r#""values": "float64", "indices_0": "int32""#
    )
);
bad!(
    fill_value_without_fill,
    DataTypesMismatch,
    csr_replace(
        r#""values": "float64""#,
        r#""values": "float64", "fill_value": "float64""#
    )
);
bad!(
    fill_without_fill_value,
    DataTypesMismatch,
    csr_replace("\"shape\"", "\"fill\": true, \"shape\"")
);
bad!(
    fill_false_with_fill_value,
    DataTypesMismatch,
    csr_replace(
        r#""values": "float64""#,
        r#""values": "float64", "fill_value": "float64""#
    )
    .replacen("\"shape\"", "\"fill\": false, \"shape\"", 1)
);

// --- type strings (§9 step 8) ---
bad!(
    type_unknown,
    BadTypeString,
    csr_replace("\"float64\"", "\"float128\"")
);
bad!(
    type_complex_int,
    BadTypeString,
    csr_replace("\"float64\"", "\"complex[int32]\"")
);
bad!(
    type_nested_iso,
    BadTypeString,
    csr_replace("\"float64\"", "\"iso[iso[int8]]\"")
);
bad!(
    type_wrong_case,
    BadTypeString,
    csr_replace("\"float64\"", "\"Float64\"")
);
bad!(
    type_unclosed_iso,
    BadTypeString,
    csr_replace("\"float64\"", "\"iso[int8\"")
);
bad!(
    type_complex_float16,
    BadTypeString,
    csr_replace("\"float64\"", "\"complex[float16]\"")
);
bad!(type_not_string, WrongType, csr_replace("\"float64\"", "32"));
bad!(
    index_type_float,
    BadIndexType,
    csr_replace("\"indices_1\": \"uint64\"", "\"indices_1\": \"float64\"")
);
bad!(
    index_type_iso,
    BadIndexType,
    csr_replace(
        "\"indices_1\": \"uint64\"",
        "\"indices_1\": \"iso[uint64]\""
    )
);
bad!(
    index_type_bint8,
    BadIndexType,
    csr_replace(
        "\"pointers_to_1\": \"uint64\"",
        "\"pointers_to_1\": \"bint8\""
    )
);
bad!(
    index_type_complex,
    BadIndexType,
    csr_replace(
        "\"pointers_to_1\": \"uint64\"",
        "\"pointers_to_1\": \"complex[float32]\""
    )
);
bad!(
    value_type_float16_without_opt_in,
    ExtensionTypeDisabled,
    csr_replace("\"float64\"", "\"float16\"")
);
bad!(
    fill_value_iso,
    BadFill,
    csr_replace(
        r#""values": "float64""#,
        r#""values": "float64", "fill_value": "iso[float64]""#
    )
    .replacen("\"shape\"", "\"fill\": true, \"shape\"", 1)
);
bad!(
    fill_not_bool,
    WrongType,
    csr_replace("\"shape\"", "\"fill\": \"yes\", \"shape\"")
);

// --- structure (§9 step 9) ---
bad!(
    structure_general,
    BadStructure,
    csr_replace("\"shape\"", "\"structure\": \"general\", \"shape\"")
);
bad!(
    structure_not_square,
    BadStructure,
    csr_replace("\"shape\"", "\"structure\": \"symmetric_lower\", \"shape\"")
);
bad!(
    structure_on_vector,
    BadStructure,
    r#"{"binsparse": {"version": "0.1", "format": "DVEC", "shape": [3], "structure": "symmetric_upper",
        "number_of_stored_values": 3, "data_types": {"values": "float64"}}}"#
        .to_owned()
);
bad!(
    hermitian_on_real_values,
    BadStructure,
    csr_replace("[3, 4]", "[4, 4]").replacen(
        "\"shape\"",
        "\"structure\": \"hermitian_lower\", \"shape\"",
        1
    )
);
bad!(
    structure_not_string,
    WrongType,
    csr_replace("\"shape\"", "\"structure\": 1, \"shape\"")
);

// --- custom levels and transpose (§9 step 6) ---
bad!(
    transpose_repeated,
    BadTranspose,
    custom(CSR_LEVEL, r#", "transpose": [0, 0]"#, "[3, 4]", 5, CSR_DTS)
);
bad!(
    transpose_too_short,
    BadTranspose,
    custom(CSR_LEVEL, r#", "transpose": [1]"#, "[3, 4]", 5, CSR_DTS)
);
bad!(
    transpose_out_of_range,
    BadTranspose,
    custom(CSR_LEVEL, r#", "transpose": [0, 2]"#, "[3, 4]", 5, CSR_DTS)
);
bad!(
    transpose_negative,
    BadTranspose,
    custom(CSR_LEVEL, r#", "transpose": [-1, 0]"#, "[3, 4]", 5, CSR_DTS)
);
bad!(
    transpose_not_array,
    BadTranspose,
    custom(CSR_LEVEL, r#", "transpose": "T""#, "[3, 4]", 5, CSR_DTS)
);
bad!(
    level_desc_unknown,
    BadLevel,
    custom(
        r#"{"level_desc": "hashed", "rank": 1, "level": {"level_desc": "element"}}"#,
        "",
        "[3]",
        3,
        r#"{"values": "int8"}"#
    )
);
bad!(
    level_rank_zero,
    BadLevel,
    custom(
        r#"{"level_desc": "dense", "rank": 0, "level": {"level_desc": "element"}}"#,
        "",
        "[]",
        1,
        r#"{"values": "int8"}"#
    )
);
bad!(
    level_rank_missing,
    MissingKey,
    custom(
        r#"{"level_desc": "dense", "level": {"level_desc": "element"}}"#,
        "",
        "[3]",
        3,
        r#"{"values": "int8"}"#
    )
);
bad!(
    level_rank_string,
    BadLevel,
    custom(
        r#"{"level_desc": "dense", "rank": "1", "level": {"level_desc": "element"}}"#,
        "",
        "[3]",
        3,
        r#"{"values": "int8"}"#
    )
);
bad!(
    level_without_element_leaf,
    MissingKey,
    custom(
        r#"{"level_desc": "dense", "rank": 1}"#,
        "",
        "[3]",
        3,
        r#"{"values": "int8"}"#
    )
);
bad!(
    level_not_object,
    WrongType,
    custom("\"dense\"", "", "[3]", 3, r#"{"values": "int8"}"#)
);
bad!(
    level_desc_not_string,
    WrongType,
    custom(r#"{"level_desc": 5}"#, "", "[]", 1, r#"{"values": "int8"}"#)
);
bad!(
    custom_without_level,
    MissingKey,
    csr_replace(
        "\"format\": \"CSR\",",
        r#""custom": {"transpose": [1, 0]},"#
    )
);
bad!(
    custom_not_object,
    WrongType,
    csr_replace("\"format\": \"CSR\",", r#""custom": [],"#)
);
bad!(
    levels_deeper_than_rank_cap,
    BadLevel,
    custom(
        &format!(
            "{}{EL}{}",
            r#"{"level_desc": "dense", "rank": 1, "level": "#.repeat(70),
            "}".repeat(70)
        ),
        "",
        "[1]",
        1,
        r#"{"values": "int8"}"#
    )
);
bad!(
    element_with_children,
    UnknownKey,
    custom(
        r#"{"level_desc": "element", "rank": 1}"#,
        "",
        "[]",
        1,
        r#"{"values": "int8"}"#
    )
);

// --- legacy and draft keys ---
bad!(
    tensor_in_strict_mode,
    LenientOnly,
    csr_replace(
        "\"format\": \"CSR\",",
        &format!(r#""tensor": {{"level": {CSR_LEVEL}}},"#)
    )
);
bad!(
    level_kind_in_strict_mode,
    LenientOnly,
    custom(
        r#"{"level_kind": "element"}"#,
        "",
        "[]",
        1,
        r#"{"values": "int8"}"#
    )
);
bad!(
    unknown_namespace_key,
    UnknownKey,
    csr_replace("\"shape\"", "\"frobnicate\": 1, \"shape\"")
);
bad!(
    index_base_proposal,
    UnsupportedFeature,
    custom(CSR_LEVEL, r#", "index_base": 1"#, "[3, 4]", 5, CSR_DTS)
);
bad!(
    contiguous_proposal,
    UnsupportedFeature,
    custom(
        r#"{"level_desc": "sparse", "rank": 2, "contiguous": true, "level": {"level_desc": "element"}}"#,
        "",
        "[3, 4]",
        5,
        r#"{"indices_0": "int8", "indices_1": "int8", "values": "int8"}"#
    )
);
bad!(
    custom_and_tensor_both,
    UnsupportedFeature,
    csr_replace(
        "\"format\": \"CSR\",",
        &format!(r#""custom": {{"level": {CSR_LEVEL}}}, "tensor": {{"level": {CSR_LEVEL}}},"#)
    ),
    ParseOptions::lenient()
);

// --- overflow (§9 step 10) ---
bad!(
    dense_product_overflows,
    SizeOverflow,
    r#"{"binsparse": {"version": "0.1", "format": "DMATR", "shape": [4294967296, 4294967296],
        "number_of_stored_values": 1, "data_types": {"values": "float64"}}}"#
        .to_owned()
);
bad!(
    pointer_length_overflows,
    SizeOverflow,
    csr_replace("[3, 4]", "[18446744073709551615, 4]")
);
bad!(
    dense_bytes_exceed_memory,
    SizeOverflow,
    r#"{"binsparse": {"version": "0.1", "format": "DVEC", "shape": [4611686018427387904],
        "number_of_stored_values": 4611686018427387904, "data_types": {"values": "float64"}}}"#
        .to_owned()
);
bad!(
    lenient_mode_still_rejects_bad_types,
    BadTypeString,
    csr_replace("\"float64\"", "\"double\""),
    ParseOptions::lenient()
);

#[test]
fn huge_sparse_shapes_are_fine() {
    // A hypersparse 2^63 × 2^63 DCSR has no array whose length depends on the shape.
    let text = r#"{"binsparse": {"version": "0.1", "format": "DCSR",
        "shape": [9223372036854775808, 9223372036854775808], "number_of_stored_values": 3,
        "data_types": {"indices_0": "uint64", "pointers_to_1": "uint64", "indices_1": "uint64",
                       "values": "float64"}}}"#;
    let d = common::ok(text).descriptor;
    assert_eq!(d.shape(), &[1 << 63, 1 << 63]);
}
