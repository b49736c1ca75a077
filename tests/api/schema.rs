//! `schema.graphql` is the exported SDL.

#[test]
fn schema_graphql_is_up_to_date() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let current = crs_api::graphql::sdl();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(path, &current).expect("write schema.graphql");
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == current,
        "schema.graphql is stale: review the API change, then run `UPDATE_SCHEMA=1 cargo test --test api schema`"
    );
}

/// Every type, field, argument, input field and enum value of the API says what it is: the SDL
/// is what client developers read.
#[test]
fn every_type_field_and_argument_is_described() {
    use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};
    let document = async_graphql::parser::parse_schema(crs_api::graphql::sdl()).unwrap();
    let mut missing = Vec::new();
    let described = |d: &Option<async_graphql::Positioned<String>>| {
        d.as_ref().is_some_and(|d| !d.node.trim().is_empty())
    };
    for definition in &document.definitions {
        let TypeSystemDefinition::Type(ty) = definition else {
            continue;
        };
        let ty = &ty.node;
        let name = ty.name.node.as_str();
        if !described(&ty.description) {
            missing.push(name.to_owned());
        }
        match &ty.kind {
            TypeKind::Object(object) => {
                for field in &object.fields {
                    let field = &field.node;
                    if !described(&field.description) {
                        missing.push(format!("{name}.{}", field.name.node));
                    }
                    for argument in &field.arguments {
                        if !described(&argument.node.description) {
                            missing.push(format!(
                                "{name}.{}({})",
                                field.name.node, argument.node.name.node
                            ));
                        }
                    }
                }
            }
            TypeKind::InputObject(input) => {
                for field in &input.fields {
                    if !described(&field.node.description) {
                        missing.push(format!("{name}.{}", field.node.name.node));
                    }
                }
            }
            TypeKind::Enum(values) => {
                for value in &values.values {
                    if !described(&value.node.description) {
                        missing.push(format!("{name}.{}", value.node.value.node));
                    }
                }
            }
            TypeKind::Scalar | TypeKind::Interface(_) | TypeKind::Union(_) => {}
        }
    }
    assert!(missing.is_empty(), "without a description: {missing:?}");
}
