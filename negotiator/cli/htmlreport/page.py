"""The HTML of a report, from the standard library only: every text goes through
:func:`html.escape` here (a party name, a label, a hypothesis from a config or a log never becomes
markup), tables are semantic (``caption``, ``th`` with ``scope``), figures carry a text
alternative, and the page holds its own small style sheet: no script, no font, no file or
address outside the page is referred to (links are ``#fragments``, images ``data:`` URIs or
inline SVG).

The builders return :class:`Markup`, a ``str`` that is already HTML; anything else given to them
is text and escaped.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


class Markup(str):
    """A string that is HTML already (built here); every other string is escaped when used."""

    __slots__ = ()


def text(value: object) -> Markup:
    """``value`` as HTML: markup as it is, ``None`` as a dash, anything else escaped."""
    if isinstance(value, Markup):
        return value
    if value is None:
        return Markup("–")
    return Markup(html.escape(str(value), quote=True))


def tag(name: str, *content: object, **attributes: str | None) -> Markup:
    """``<name attributes>content</name>``; attribute values are escaped, ``None`` ones left
    out (a trailing underscore is dropped from a name: ``class_``)."""
    attrs = "".join(
        f' {key.rstrip("_").replace("_", "-")}="{html.escape(value, quote=True)}"'
        for key, value in attributes.items()
        if value is not None
    )
    return Markup(f"<{name}{attrs}>{''.join(text(c) for c in content)}</{name}>")


def join(parts: Iterable[object], sep: str = "") -> Markup:
    """Parts (markup or text) one after the other."""
    return Markup(html.escape(sep).join(text(p) for p in parts))


def paragraph(*content: object, class_: str | None = None) -> Markup:
    return tag("p", *content, class_=class_)


@dataclass(frozen=True)
class Cell:
    """A table cell with a class of its own (e.g. a coloured move)."""

    content: object
    class_: str


def table(
    caption: object,
    header: Sequence[object],
    rows: Iterable[Sequence[object]],
    *,
    row_headers: bool = True,
    numeric: Iterable[int] = (),
    class_: str | None = None,
) -> Markup:
    """A table with a caption, a header row (``th scope=col``) and, with ``row_headers``, the
    first cell of each row as its header (``th scope=row``). Columns in ``numeric`` are right
    aligned; a :class:`Cell` brings its own class."""
    right = set(numeric)
    head = tag(
        "thead",
        tag("tr", *(tag("th", h, scope="col") for h in header)),
    )
    body_rows = []
    for row in rows:
        cells = []
        for i, item in enumerate(row):
            content, cls = (item.content, item.class_) if isinstance(item, Cell) else (item, None)
            cls = cls or ("num" if i in right else None)
            if i == 0 and row_headers:
                cells.append(tag("th", content, scope="row", class_=cls))
            else:
                cells.append(tag("td", content, class_=cls))
        body_rows.append(tag("tr", *cells))
    return tag(
        "div",
        tag("table", tag("caption", caption), head, tag("tbody", *body_rows), class_=class_),
        class_="scroll",
    )


def definitions(items: Iterable[tuple[object, object]]) -> Markup:
    """A description list: term, then its value."""
    return tag("dl", *(join([tag("dt", k), tag("dd", v)]) for k, v in items))


def bullet_list(items: Iterable[object]) -> Markup:
    return tag("ul", *(tag("li", i) for i in items))


@dataclass(frozen=True)
class Section:
    """A part of the page: a ``section`` labelled by its ``h2``, listed in the contents and
    reached from them by ``#ident``."""

    ident: str
    title: str
    body: Markup

    def render(self) -> Markup:
        return tag(
            "section",
            tag("h2", self.title, id=f"{self.ident}-h"),
            self.body,
            id=self.ident,
            aria_labelledby=f"{self.ident}-h",
        )


def section(ident: str, title: str, *content: object) -> Section:
    """A :class:`Section` of the content given (markup or text)."""
    return Section(ident, title, join(content))


def side_by_side(*content: object) -> Markup:
    """Blocks next to each other where the page is wide enough, one under the other where not."""
    return tag("div", *content, class_="side")


def note(*content: object) -> Markup:
    return paragraph(*content, class_="note")


_XML_PROLOGUE = re.compile(r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<metadata>.*?</metadata>", re.DOTALL)
_SVG_OPEN = re.compile(r"<svg\b[^>]*>")
_IDS = re.compile(r'\bid="([^"]+)"')
_REFS = re.compile(r'(href="#|url\(#)([^")]+)')


def inline_svg(data: bytes, alt: str, prefix: str) -> Markup:
    """An SVG file as markup inside the page: its XML prologue, DOCTYPE and metadata (a date, the
    writer's address) removed, its ids and the references to them prefixed with ``prefix`` (so
    two figures' ids never collide), and labelled for assistive technology by a ``title``
    holding ``alt``. The SVG is the figure code's own output, not text from a config or log:
    the text inside it was escaped by the SVG writer."""
    svg = _XML_PROLOGUE.sub("", data.decode("utf-8")).strip()
    svg = _IDS.sub(lambda m: f'id="{prefix}{m.group(1)}"', svg)
    svg = _REFS.sub(lambda m: f"{m.group(1)}{prefix}{m.group(2)}", svg)
    opening = _SVG_OPEN.search(svg)
    if opening is None:
        raise ValueError("not an SVG document")
    title = f"{prefix}title"
    head = opening.group(0)[:-1] + f' role="img" aria-labelledby="{title}">'
    return Markup(
        svg[: opening.start()] + head + str(tag("title", alt, id=title)) + svg[opening.end() :]
    )


def inline_png(data: bytes, alt: str) -> Markup:
    """A PNG as an ``img`` whose source is a ``data:`` URI."""
    uri = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    return Markup(f'<img src="{uri}" alt="{html.escape(alt, quote=True)}">')


@dataclass(frozen=True)
class Image:
    """A figure's bytes and what it shows (see :mod:`negotiator.cli.htmlreport.figures`)."""

    key: str
    """A short name (the figure function's, or the file it wrote), used for ids."""
    mime: str
    """``image/svg+xml`` or ``image/png``."""
    data: bytes
    alt: str
    """The text alternative: what the figure shows, in words."""
    caption: str


def figure(image: Image, number: int) -> Markup:
    """A numbered ``figure``: the image inline (SVG as markup, PNG as a ``data:`` URI) and its
    caption."""
    prefix = f"fig{number}-"
    if image.mime == "image/svg+xml":
        body = inline_svg(image.data, image.alt, prefix)
    elif image.mime == "image/png":
        body = inline_png(image.data, image.alt)
    else:
        raise ValueError(f"cannot inline a figure of type {image.mime}")
    return tag(
        "figure",
        body,
        tag("figcaption", f"Figure {number}. ", image.caption),
        id=f"figure-{number}",
    )


STYLE = """
:root { color-scheme: light; --ink: #1b1b1b; --muted: #555; --rule: #c8c8c8; --band: #f3f4f6;
  --ok: #005a8c; --bad: #a84300; --warn: #6b5a00; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  color: var(--ink); background: #fff; margin: 0 auto; max-width: 80rem; padding: 1rem 1.5rem; }
h1 { font-size: 1.6rem; margin: 0.2rem 0 0.4rem; }
h2 { font-size: 1.25rem; border-bottom: 2px solid var(--rule); padding-bottom: 0.2rem;
  margin-top: 2rem; }
h3 { font-size: 1.05rem; margin: 1.2rem 0 0.4rem; }
.meta, .note, figcaption, caption { color: var(--muted); }
nav ol { columns: 3 12rem; padding-left: 1.4rem; margin: 0.4rem 0; }
a { color: #0b4f9c; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: 0.6rem 0 1rem; font-size: 0.9rem; }
caption { text-align: left; font-weight: 600; padding: 0.2rem 0; }
th, td { border: 1px solid var(--rule); padding: 0.25rem 0.5rem; text-align: left;
  vertical-align: top; }
thead th { background: var(--band); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
td .mean, td .ci { display: block; white-space: nowrap; }
td .ci, th .unit { font-size: 0.8rem; color: var(--muted); }
th .unit { display: block; font-weight: normal; }
tbody tr:nth-child(even) { background: #fafafa; }
dl { display: grid; grid-template-columns: max-content auto; gap: 0.15rem 1rem; }
dt { font-weight: 600; } dd { margin: 0; }
code, .digest { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.85rem;
  overflow-wrap: anywhere; }
.held, .ok { color: var(--ok); font-weight: 600; }
.did-not-hold, .bad { color: var(--bad); font-weight: 600; }
.inconclusive { color: var(--warn); font-weight: 600; }
figure { margin: 1rem 0; }
.side { display: flex; flex-wrap: wrap; gap: 0 2rem; align-items: flex-start; }
.side > figure { flex: 1 1 28rem; margin-top: 0.6rem; }
figure svg, figure img { max-width: 100%; height: auto; display: block; }
table.map td, table.map th { text-align: center; padding: 0.1rem 0.25rem; min-width: 2.2rem;
  white-space: nowrap; }
table.map tbody th { white-space: normal; min-width: 7rem; }
table.map td.c { background: #b9d9ef; } table.map td.d { background: #f5c9a9; }
table.map td.gap { background: #fff; }
.legend { font-size: 0.85rem; }
footer { margin-top: 2.5rem; border-top: 1px solid var(--rule); color: var(--muted);
  font-size: 0.85rem; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  nav { display: none; }
  a { color: inherit; text-decoration: none; }
  .scroll { overflow: visible; }
  figure, tr { break-inside: avoid; }
  thead { display: table-header-group; }
  table.map { font-size: 8pt; }
  h2 { break-after: avoid; }
}
"""
"""The page's whole style sheet (screen and print)."""


def page(
    title: str, heading: object, lead: object, sections: Sequence[Section], footer: object
) -> str:
    """The document: its head with the style sheet, a header, the contents (a link to each
    section), the sections and a footer."""
    contents = tag("ol", *(tag("li", tag("a", s.title, href=f"#{s.ident}")) for s in sections))
    nav = tag("nav", tag("h2", "Contents", id="contents-h"), contents, aria_labelledby="contents-h")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n"
        '<link rel="icon" href="data:,">\n'
        f"<style>{STYLE}</style>\n</head>\n<body>\n"
        f"{tag('header', tag('h1', heading), lead)}\n{nav}\n<main>\n"
        + "\n".join(s.render() for s in sections)
        + f"\n</main>\n{tag('footer', footer)}\n</body>\n</html>\n"
    )
