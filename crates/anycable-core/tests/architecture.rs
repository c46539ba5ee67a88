//! The core's module picture: which top-level module uses which, read from the sources, must have
//! no cycles and must be the picture the README's Layout section draws.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeSet<String>>;

const SOURCES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
const README: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md");

/// Modules left out of the picture: `fuzzing` only re-exports internals for the fuzz targets.
const OUTSIDE_THE_PICTURE: [&str; 1] = ["fuzzing"];

fn rust_files(path: &Path, into: &mut Vec<PathBuf>) {
    if path.is_dir() {
        for entry in fs::read_dir(path).unwrap() {
            rust_files(&entry.unwrap().path(), into);
        }
    } else if path.extension().is_some_and(|ext| ext == "rs") {
        into.push(path.to_owned());
    }
}

/// The top-level modules named after `crate::` in `source`, including `crate::{a, b::c}` groups.
fn used_modules(source: &str) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    let identifier = |text: &str| -> String {
        text.trim()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    for (at, _) in source.match_indices("crate::") {
        let rest = &source[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').expect("a closed use group")];
            used.extend(group.split(',').map(identifier).filter(|m| !m.is_empty()));
        } else {
            used.insert(identifier(rest));
        }
    }
    used
}

/// Top-level module → the other top-level modules its files use.
fn actual_graph() -> Graph {
    let mut graph = Graph::new();
    for entry in fs::read_dir(SOURCES).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if name == "lib" || OUTSIDE_THE_PICTURE.contains(&name.as_str()) {
            continue;
        }
        let mut files = Vec::new();
        rust_files(&path, &mut files);
        let mut uses = BTreeSet::new();
        for file in files {
            uses.extend(used_modules(&fs::read_to_string(file).unwrap()));
        }
        uses.remove(&name);
        graph.insert(name, uses);
    }
    graph
}

/// The picture in the README: lines `module → a, b` (or `module → nothing`) in the fenced block
/// that follows the line naming the module picture.
fn readme_graph() -> Graph {
    let readme = fs::read_to_string(README).unwrap();
    let start = readme
        .find("<!-- module picture -->")
        .expect("the README's Layout section has a module picture");
    let block = readme[start..].split("```").nth(1).expect("a fenced block");
    block
        .lines()
        .filter_map(|line| line.split_once('→'))
        .map(|(module, uses)| {
            let uses = uses
                .split(',')
                .map(str::trim)
                .filter(|m| !m.is_empty() && *m != "nothing")
                .map(str::to_owned)
                .collect();
            (module.trim().to_owned(), uses)
        })
        .collect()
}

/// A cycle through `module`, if there is one, as the path that closes it.
fn cycle_from(graph: &Graph, module: &str, path: &mut Vec<String>) -> Option<Vec<String>> {
    if let Some(at) = path.iter().position(|m| m == module) {
        let mut cycle = path[at..].to_vec();
        cycle.push(module.to_owned());
        return Some(cycle);
    }
    path.push(module.to_owned());
    for next in graph.get(module).into_iter().flatten() {
        if let Some(cycle) = cycle_from(graph, next, path) {
            return Some(cycle);
        }
    }
    path.pop();
    None
}

#[test]
fn module_dependencies_point_one_way() {
    let graph = actual_graph();
    for module in graph.keys() {
        if let Some(cycle) = cycle_from(&graph, module, &mut Vec::new()) {
            panic!("module cycle: {}", cycle.join(" → "));
        }
    }
}

#[test]
fn the_readme_draws_the_module_picture_as_it_is() {
    assert_eq!(
        readme_graph(),
        actual_graph(),
        "update the module picture in README.md's Layout section"
    );
}

#[test]
fn the_reader_finds_grouped_and_nested_uses() {
    let source = "use crate::a::B;\nuse crate::{c, d::E};\nfn f() { crate::e::g(); }";
    assert_eq!(
        used_modules(source),
        ["a", "c", "d", "e"].map(String::from).into()
    );
}
