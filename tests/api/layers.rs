//! The module graph has no circles: among the files of one folder (and among the top-level
//! modules), no file reaches an item of another that, directly or through its siblings, reaches
//! back. A circle means a name sits in the wrong file; the test names the circle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type Module = Vec<String>;

/// Every module of `src/`, with the text of its file.
fn modules() -> BTreeMap<Module, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = BTreeMap::new();
    let mut pending = vec![root.clone()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix(&root).unwrap().with_extension("");
            let mut module: Module = relative
                .iter()
                .map(|part| part.to_string_lossy().into_owned())
                .collect();
            if matches!(
                module.last().map(String::as_str),
                Some("mod" | "lib" | "main")
            ) {
                module.pop();
            }
            found.insert(module, std::fs::read_to_string(&path).unwrap());
        }
    }
    found
}

/// The code of a file without comments and string literals, which name no modules.
fn code_of(text: &str) -> String {
    let mut code = String::new();
    for line in text.lines() {
        let mut in_string = false;
        let mut previous = ' ';
        let mut kept = String::new();
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if !in_string && c == '/' && chars.get(i + 1) == Some(&'/') {
                break;
            }
            if c == '"' && previous != '\\' {
                in_string = !in_string;
            } else if !in_string {
                kept.push(c);
            }
            previous = c;
            i += 1;
        }
        code.push_str(&kept);
        code.push('\n');
    }
    code
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The paths a file names from `crate::` or `super::`, resolved to module paths (the items
/// inside modules are dropped later, when the longest known module prefix is taken).
fn referenced_paths(module: &Module, code: &str) -> Vec<Module> {
    let mut paths = Vec::new();
    let bytes: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        let starts = |word: &str| bytes[i..].iter().take(word.len()).copied().eq(word.chars());
        let boundary = i == 0 || !is_ident(bytes[i - 1]) && bytes[i - 1] != ':';
        if !(boundary && (starts("crate::") || starts("super::"))) {
            i += 1;
            continue;
        }
        // The base: the crate root, or this module, one level up per `super`.
        let mut base: Module = if starts("crate::") {
            i += "crate::".len();
            Vec::new()
        } else {
            module.clone()
        };
        let mut segments = Vec::new();
        loop {
            let start = i;
            while i < bytes.len() && is_ident(bytes[i]) {
                i += 1;
            }
            let word: String = bytes[start..i].iter().collect();
            if word == "super" {
                base.pop();
            } else if !word.is_empty() {
                segments.push(word);
            }
            if bytes[i..].starts_with(&[':', ':']) {
                i += 2;
                if bytes.get(i) == Some(&'{') {
                    // A use list: every path in it, nested lists included.
                    let close = matching_brace(&bytes, i);
                    let inside: String = bytes[i + 1..close].iter().collect();
                    let mut prefix = base.clone();
                    prefix.extend(segments.iter().cloned());
                    paths.extend(use_tree(&prefix, &inside));
                    i = close + 1;
                    segments.clear();
                    base.clear();
                    break;
                }
                continue;
            }
            break;
        }
        if !segments.is_empty() || !base.is_empty() {
            let mut path = base;
            path.extend(segments);
            paths.push(path);
        }
    }
    paths
}

/// The index of the `}` that closes the `{` at `open`.
fn matching_brace(chars: &[char], open: usize) -> usize {
    let mut depth = 0;
    for (i, c) in chars.iter().enumerate().skip(open) {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    chars.len()
}

/// The paths of a use list's inside (`a, b::c, d::{e, f}`), each after `prefix`.
fn use_tree(prefix: &Module, inside: &str) -> Vec<Module> {
    let chars: Vec<char> = inside.chars().collect();
    let mut paths = Vec::new();
    let mut start = 0;
    let mut i = 0;
    let mut items = Vec::new();
    while i < chars.len() {
        match chars[i] {
            '{' => i = matching_brace(&chars, i),
            ',' => {
                items.push(chars[start..i].iter().collect::<String>());
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    items.push(chars[start.min(chars.len())..].iter().collect());
    for item in items {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        match item.find('{') {
            Some(open) => {
                let mut nested = prefix.clone();
                nested.extend(
                    item[..open]
                        .split("::")
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned),
                );
                let close = item.rfind('}').unwrap_or(item.len());
                paths.extend(use_tree(&nested, &item[open + 1..close]));
            }
            None => {
                let mut path = prefix.clone();
                let words = item.split(" as ").next().unwrap_or(item);
                path.extend(
                    words
                        .split("::")
                        .map(str::trim)
                        .filter(|s| *s != "self" && s.chars().all(is_ident))
                        .map(str::to_owned),
                );
                paths.push(path);
            }
        }
    }
    paths
}

/// The longest prefix of `path` that is a module.
fn module_of(path: &[String], known: &BTreeSet<Module>) -> Module {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|prefix| known.contains(prefix))
        .unwrap_or_default()
}

/// A circle in `edges`, if there is one.
fn circle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        done: &mut BTreeSet<String>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut found = path[at..].to_vec();
            found.push(node.to_owned());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, edges, done, path) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|node| visit(node, edges, &mut done, &mut Vec::new()))
}

#[test]
fn no_module_reaches_back_into_one_that_reaches_it() {
    let modules = modules();
    let known: BTreeSet<Module> = modules.keys().cloned().collect();
    // For each folder: which of its children reach which.
    let mut graphs: BTreeMap<Module, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    let mut references = 0;
    for (module, text) in &modules {
        for path in referenced_paths(module, &code_of(text)) {
            let target = module_of(&path, &known);
            let common = module
                .iter()
                .zip(&target)
                .take_while(|(a, b)| a == b)
                .count();
            // A module and its own ancestors or descendants are one, not a circle; sea-orm
            // entities declare each relation from both ends, by the ORM's design.
            if common == module.len()
                || common == target.len()
                || module.starts_with(&["db".to_owned(), "entities".to_owned()])
            {
                continue;
            }
            references += 1;
            graphs
                .entry(module[..common].to_vec())
                .or_default()
                .entry(module[common].clone())
                .or_default()
                .insert(target[common].clone());
        }
    }
    assert!(references > 300, "only {references} references read");
    let circles: Vec<String> = graphs
        .iter()
        .filter_map(|(folder, edges)| {
            circle(edges).map(|c| format!("in src/{}: {}", folder.join("/"), c.join(" → ")))
        })
        .collect();
    assert!(
        circles.is_empty(),
        "import circles:\n{}",
        circles.join("\n")
    );
}

#[test]
fn references_are_read_from_use_lists_and_paths() {
    let module: Module = vec!["service".into(), "delivery".into()];
    let code = code_of(
        "use super::{Services, change::{Change, Facts}};\nuse crate::domain::journey;\n// crate::http::x\nlet a = \"crate::db\"; crate::db::delivery::f();",
    );
    let paths = referenced_paths(&module, &code);
    assert_eq!(
        paths,
        vec![
            vec!["service".to_owned(), "Services".into()],
            vec!["service".into(), "change".into(), "Change".into()],
            vec!["service".into(), "change".into(), "Facts".into()],
            vec!["domain".into(), "journey".into()],
            vec!["db".into(), "delivery".into(), "f".into()],
        ]
    );
    let mut edges = BTreeMap::new();
    edges.insert("a".to_owned(), BTreeSet::from(["b".to_owned()]));
    edges.insert("b".to_owned(), BTreeSet::from(["a".to_owned()]));
    assert_eq!(
        circle(&edges),
        Some(vec!["a".into(), "b".into(), "a".into()])
    );
    edges.insert("b".to_owned(), BTreeSet::new());
    assert_eq!(circle(&edges), None);
}
