//! SVG logos, checked against an allow-list after parsing them as XML: the elements and
//! attributes of a drawing, in the SVG namespace, and nothing that runs, loads or styles (no
//! script, event handler, `style`, `url(…)` other than to a part of the same drawing, or link
//! other than `#id`). A list of forbidden strings is never enough: `<svg/onload=…>`,
//! `<svg:script>` and `javascript&#58;` all read differently once parsed.

const SVG_NS: &str = "http://www.w3.org/2000/svg";
const XLINK_NS: &str = "http://www.w3.org/1999/xlink";
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

const ELEMENTS: &[&str] = &[
    "svg",
    "g",
    "defs",
    "symbol",
    "use",
    "title",
    "desc",
    "path",
    "rect",
    "circle",
    "ellipse",
    "line",
    "polyline",
    "polygon",
    "text",
    "tspan",
    "linearGradient",
    "radialGradient",
    "stop",
    "clipPath",
];

const ATTRIBUTES: &[&str] = &[
    "id",
    "version",
    "viewBox",
    "preserveAspectRatio",
    "width",
    "height",
    "x",
    "y",
    "x1",
    "y1",
    "x2",
    "y2",
    "cx",
    "cy",
    "r",
    "rx",
    "ry",
    "fx",
    "fy",
    "d",
    "points",
    "transform",
    "fill",
    "fill-opacity",
    "fill-rule",
    "stroke",
    "stroke-width",
    "stroke-opacity",
    "stroke-linecap",
    "stroke-linejoin",
    "stroke-miterlimit",
    "stroke-dasharray",
    "stroke-dashoffset",
    "opacity",
    "clip-path",
    "clip-rule",
    "clipPathUnits",
    "offset",
    "stop-color",
    "stop-opacity",
    "gradientUnits",
    "gradientTransform",
    "spreadMethod",
    "font-family",
    "font-size",
    "font-weight",
    "font-style",
    "text-anchor",
    "dominant-baseline",
    "letter-spacing",
    "dx",
    "dy",
    "role",
    "aria-label",
    "aria-hidden",
    "focusable",
    "lang",
    "href",
];

/// Why an SVG is refused: what the customer-facing message names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not well-formed XML, or a DTD (entities can hide anything).
    NotXml,
    /// The root is not `<svg>` in the SVG namespace.
    NotSvg,
    Element(String),
    Attribute(String),
    /// A value that would run or load something (`javascript:`, `url(http…)`, a link off the
    /// drawing).
    Value(String),
    /// A processing instruction (e.g. `<?xml-stylesheet?>`).
    Instruction,
}

/// Checks an SVG document against the allow-list.
pub fn check(text: &str) -> Result<(), Refusal> {
    let doc = roxmltree::Document::parse(text).map_err(|_| Refusal::NotXml)?;
    let root = doc.root_element();
    if root.tag_name().namespace() != Some(SVG_NS) || root.tag_name().name() != "svg" {
        return Err(Refusal::NotSvg);
    }
    for node in doc.root().descendants() {
        if node.is_pi() {
            return Err(Refusal::Instruction);
        }
        if !node.is_element() {
            continue;
        }
        let tag = node.tag_name();
        if tag.namespace() != Some(SVG_NS) || !ELEMENTS.contains(&tag.name()) {
            return Err(Refusal::Element(tag.name().to_owned()));
        }
        for a in node.attributes() {
            let name = a.name();
            let allowed = match a.namespace() {
                None => ATTRIBUTES.contains(&name),
                Some(XLINK_NS) => name == "href",
                Some(XML_NS) => matches!(name, "lang" | "space"),
                Some(_) => false,
            };
            if !allowed {
                return Err(Refusal::Attribute(name.to_owned()));
            }
            check_value(name, a.value())?;
        }
    }
    Ok(())
}

/// A value as the browser reads it (entities already decoded by the parser): a link only to a
/// part of this drawing, `url(#id)` only.
fn check_value(name: &str, value: &str) -> Result<(), Refusal> {
    let squeezed: String = value
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    let refuse = || Err(Refusal::Value(name.to_owned()));
    if name == "href" {
        return if value.starts_with('#') {
            Ok(())
        } else {
            refuse()
        };
    }
    if squeezed.contains("javascript:") || squeezed.contains("data:") {
        return refuse();
    }
    let mut rest = squeezed.as_str();
    while let Some(at) = rest.find("url(") {
        rest = &rest[at + 4..];
        if !rest.starts_with('#') {
            return refuse();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svg(inner: &str) -> String {
        format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10">{inner}</svg>"#
        )
    }

    #[test]
    fn the_demo_logos_and_plain_drawings_pass() {
        for logo in [
            include_str!("../../tenants/kitami/logo.svg"),
            include_str!("../../tenants/hokuto/logo.svg"),
        ] {
            assert_eq!(check(logo), Ok(()));
        }
        let defs = svg(
            r##"<defs><linearGradient id="g"><stop offset="0" stop-color="#fff"/></linearGradient></defs>
            <rect width="10" height="10" fill="url(#g)"/><use xlink:href="#g"/><title>北見</title>"##,
        );
        assert_eq!(check(&defs), Ok(()));
        assert_eq!(
            check(&format!("<?xml version=\"1.0\"?>\n{}", svg("<g/>"))),
            Ok(())
        );
    }

    #[test]
    fn each_known_bypass_is_refused() {
        let cases: Vec<(String, Refusal)> = vec![
            (
                r#"<svg/onload=alert(1)>"#.into(),
                Refusal::NotXml, // not even XML
            ),
            (
                r#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>"#.into(),
                Refusal::Attribute("onload".into()),
            ),
            (
                r#"<svg:svg xmlns:svg="http://www.w3.org/2000/svg"><svg:script>alert(1)</svg:script></svg:svg>"#.into(),
                Refusal::Element("script".into()),
            ),
            (
                svg(r#"<a href="javascript&#58;alert(1)"><rect width="1" height="1"/></a>"#),
                Refusal::Element("a".into()),
            ),
            (
                svg(r#"<use href="javascript&#58;alert(1)"/>"#),
                Refusal::Value("href".into()),
            ),
            (
                svg(r#"<use xlink:href="https://evil.example/x.svg#a"/>"#),
                Refusal::Value("href".into()),
            ),
            (
                svg(r#"<rect width="1" height="1" fill="url(https://evil.example/track)"/>"#),
                Refusal::Value("fill".into()),
            ),
            (
                svg(r#"<rect width="1" height="1" fill="u&#114;l( //evil.example/t)"/>"#),
                Refusal::Value("fill".into()),
            ),
            (
                svg(r#"<rect width="1" height="1" style="fill:url(//evil.example)"/>"#),
                Refusal::Attribute("style".into()),
            ),
            (
                svg(r#"<style>rect{fill:url(//evil.example)}</style>"#),
                Refusal::Element("style".into()),
            ),
            (
                svg(r#"<foreignObject><p xmlns="http://www.w3.org/1999/xhtml">x</p></foreignObject>"#),
                Refusal::Element("foreignObject".into()),
            ),
            (
                svg(r#"<animate attributeName="href" to="javascript:alert(1)"/>"#),
                Refusal::Element("animate".into()),
            ),
            (
                svg(r#"<image href="data:image/svg+xml;base64,PHN2Zz4="/>"#),
                Refusal::Element("image".into()),
            ),
            (
                r#"<!DOCTYPE svg [<!ENTITY x "&#60;script&#62;">]><svg xmlns="http://www.w3.org/2000/svg">&x;</svg>"#.into(),
                Refusal::NotXml,
            ),
            (
                format!("<?xml-stylesheet href=\"//evil.example/x.css\"?>{}", svg("")),
                Refusal::Instruction,
            ),
            (
                r#"<svg xmlns="http://www.w3.org/1999/xhtml"/>"#.into(),
                Refusal::NotSvg,
            ),
            (
                svg(r#"<rect xmlns:ev="http://www.w3.org/2001/xml-events" ev:event="click"/>"#),
                Refusal::Attribute("event".into()),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(check(&text), Err(want), "{text}");
        }
    }
}
