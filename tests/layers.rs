//! The modules of `app/` import one another in one direction only: a file may use what lies
//! below it, never what uses it, however long the way round. This reads every file's paths
//! (`use` trees and paths in code, `crate::`, `super::`, `self::` and a child module's name),
//! resolves each to the file that defines the item (through `pub use` re-exports: a name a
//! `mod.rs` passes on belongs to the file it comes from), and fails with every cycle it finds,
//! each edge with the path that makes it. Test code (`#[cfg(test)]`) is left out: a test may
//! reach anywhere. `docs/architecture.md` says which floor may import which.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// A module of the crate, as the path of segments under `crate`; `[]` is `lib.rs`.
type Module = Vec<String>;

/// Every file module under `app/` (its `mod.rs` or `<name>.rs`), and where it is.
fn modules(root: &Path) -> BTreeMap<Module, PathBuf> {
    let mut found = BTreeMap::new();
    let mut dirs = vec![root.to_owned()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(root).unwrap().with_extension("");
            let mut module: Module = rel
                .iter()
                .map(|s| s.to_string_lossy().into_owned())
                .collect();
            match module.last().map(String::as_str) {
                Some("mod") => {
                    module.pop();
                }
                // The binary is its own crate; the library's root holds only `mod` lines.
                Some("main") if module.len() == 1 => continue,
                Some("lib") if module.len() == 1 => module.clear(),
                _ => {}
            }
            found.insert(module, path);
        }
    }
    found
}

fn is_test_only(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.parse_args::<syn::Meta>()
                .is_ok_and(|m| m.path().is_ident("test"))
    })
}

/// Collects the absolute module paths a file names.
struct Paths<'a> {
    /// The module the file defines.
    here: &'a Module,
    known: &'a BTreeMap<Module, PathBuf>,
    /// (absolute path, as written)
    found: Vec<(Module, String)>,
    /// What its `pub use` items pass on: the name here, and the absolute path it stands for.
    exports: Vec<(String, Module)>,
}

impl Paths<'_> {
    /// `segments` as written in the file, made absolute; `None` for an outside crate's path.
    fn absolute(&self, segments: &[String]) -> Option<Module> {
        let first = segments.first()?;
        let mut out: Module = match first.as_str() {
            "crate" => Vec::new(),
            "self" => self.here.clone(),
            "super" => self.here.clone(),
            // A child module of this one, named without `self::`.
            name => {
                let mut child = self.here.clone();
                child.push(name.to_owned());
                if !self.known.contains_key(&child) {
                    return None;
                }
                self.here.clone()
            }
        };
        let mut rest = segments;
        if matches!(first.as_str(), "crate" | "self") {
            rest = &segments[1..];
        }
        for s in rest {
            if s == "super" {
                out.pop();
            } else {
                out.push(s.clone());
            }
        }
        Some(out)
    }

    fn add(&mut self, segments: Vec<String>) {
        if let Some(abs) = self.absolute(&segments) {
            self.found.push((abs, segments.join("::")));
        }
    }

    /// Walks a `use` tree; with `export`, records what a `pub use` passes on.
    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree, export: bool) {
        let (ident, alias) = match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree, export);
                prefix.pop();
                return;
            }
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(prefix, t, export);
                }
                return;
            }
            syn::UseTree::Glob(_) => return self.add(prefix.clone()),
            syn::UseTree::Name(n) => (&n.ident, &n.ident),
            syn::UseTree::Rename(r) => (&r.ident, &r.rename),
        };
        let mut full = prefix.clone();
        let name = if ident == "self" {
            prefix.last().cloned().unwrap_or_default()
        } else {
            full.push(ident.to_string());
            alias.to_string()
        };
        if export && let Some(abs) = self.absolute(&full) {
            self.exports.push((name, abs));
        }
        self.add(full);
    }
}

impl<'ast> Visit<'ast> for Paths<'_> {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let attrs = match item {
            syn::Item::Mod(m) => &m.attrs,
            syn::Item::Fn(f) => &f.attrs,
            syn::Item::Impl(i) => &i.attrs,
            syn::Item::Use(u) => &u.attrs,
            _ => return syn::visit::visit_item(self, item),
        };
        if !is_test_only(attrs) {
            syn::visit::visit_item(self, item);
        }
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        let export = !matches!(u.vis, syn::Visibility::Inherited);
        self.use_tree(&mut Vec::new(), &u.tree, export);
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        if p.leading_colon.is_none() && p.segments.len() > 1 {
            self.add(p.segments.iter().map(|s| s.ident.to_string()).collect());
        }
        syn::visit::visit_path(self, p);
    }
}

/// What each module's `pub use` items pass on: (module, name) → the path it stands for.
type Exports = BTreeMap<(Module, String), Module>;

/// The file module that defines `path`: the longest known prefix, followed through the
/// re-exports of that module.
fn owner<'m>(
    known: &'m BTreeMap<Module, PathBuf>,
    exports: &Exports,
    path: &Module,
) -> Option<&'m Module> {
    let mut path = path.clone();
    for _ in 0..8 {
        let (module, _) = (1..=path.len())
            .rev()
            .find_map(|n| known.get_key_value(&path[..n]))?;
        let n = module.len();
        match path
            .get(n)
            .and_then(|name| exports.get(&(module.clone(), name.clone())))
        {
            Some(target) if target != &path[..=n] => {
                let mut next = target.clone();
                next.extend_from_slice(&path[n + 1..]);
                path = next;
            }
            _ => return Some(module),
        }
    }
    None
}

/// Edges between file modules, each with one path that makes it.
fn graph(root: &Path) -> BTreeMap<Module, BTreeMap<Module, String>> {
    let known = modules(root);
    let mut exports = Exports::new();
    let mut found = Vec::new();
    for (module, file) in &known {
        let text = std::fs::read_to_string(file).unwrap();
        let ast = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let mut paths = Paths {
            here: module,
            known: &known,
            found: Vec::new(),
            exports: Vec::new(),
        };
        paths.visit_file(&ast);
        for (name, target) in paths.exports {
            exports.insert((module.clone(), name), target);
        }
        found.push((module, paths.found));
    }
    let mut edges: BTreeMap<Module, BTreeMap<Module, String>> = BTreeMap::new();
    for (module, paths) in found {
        let out = edges.entry(module.clone()).or_default();
        for (abs, written) in paths {
            if let Some(to) = owner(&known, &exports, &abs)
                && to != module
                && !to.is_empty()
            {
                out.entry(to.clone()).or_insert(written);
            }
        }
    }
    edges
}

/// Strongly connected components of more than one module (Tarjan).
fn cycles(edges: &BTreeMap<Module, BTreeMap<Module, String>>) -> Vec<BTreeSet<Module>> {
    struct State<'a> {
        edges: &'a BTreeMap<Module, BTreeMap<Module, String>>,
        index: BTreeMap<&'a Module, usize>,
        low: BTreeMap<&'a Module, usize>,
        stack: Vec<&'a Module>,
        on_stack: BTreeSet<&'a Module>,
        found: Vec<BTreeSet<Module>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a Module) {
        let i = s.index.len();
        s.index.insert(v, i);
        s.low.insert(v, i);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in s.edges.get(v).into_iter().flat_map(|e| e.keys()) {
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = BTreeSet::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.insert(w.clone());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                s.found.push(component);
            }
        }
    }
    let mut s = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in edges.keys() {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.found
}

fn name(m: &Module) -> String {
    m.join("::")
}

#[test]
fn no_module_imports_what_imports_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("app");
    let edges = graph(&root);
    assert!(edges.len() > 50, "read only {} modules", edges.len());
    let found = cycles(&edges);
    let mut report = String::new();
    for component in &found {
        report.push_str(&format!("a cycle of {} modules:\n", component.len()));
        for from in component {
            for (to, written) in &edges[from] {
                if component.contains(to) {
                    report.push_str(&format!("  {} -> {}  ({written})\n", name(from), name(to)));
                }
            }
        }
    }
    assert!(found.is_empty(), "{report}");
}

/// A file that grows past this holds more than one thing: split it along what it does.
const MAX_LINES: usize = 450;

#[test]
fn no_file_of_app_is_over_450_lines() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("app");
    let long: Vec<String> = modules(&root)
        .values()
        .filter_map(|file| {
            let n = std::fs::read_to_string(file).unwrap().lines().count();
            (n > MAX_LINES).then(|| format!("{} has {n} lines", file.display()))
        })
        .collect();
    assert!(long.is_empty(), "over {MAX_LINES} lines: {long:?}");
}

#[test]
fn the_checker_sees_a_cycle_when_there_is_one() {
    let dir = std::env::temp_dir().join(format!("renkei-layers-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("b")).unwrap();
    std::fs::write(dir.join("lib.rs"), "mod a; mod b;").unwrap();
    // `a` names the thing where `b` passes it on: the edge goes to `b::c`, where it is.
    std::fs::write(dir.join("a.rs"), "use crate::b::Thing; pub fn g() {}").unwrap();
    std::fs::write(dir.join("b/mod.rs"), "mod c; mod d; pub use c::Thing;").unwrap();
    std::fs::write(
        dir.join("b/c.rs"),
        "pub struct Thing; fn f() { super::super::a::g(); }",
    )
    .unwrap();
    // `b::d` uses what `b` passes on, and `b` uses nothing of `b::d`: no cycle.
    std::fs::write(dir.join("b/d.rs"), "fn h(_: super::Thing) {}").unwrap();
    let found = cycles(&graph(&dir));
    std::fs::remove_dir_all(&dir).unwrap();
    let names: Vec<Vec<String>> = found.iter().map(|c| c.iter().map(name).collect()).collect();
    assert_eq!(names, vec![vec!["a".to_owned(), "b::c".to_owned()]]);
}
