"""The bundle's ``report.html``: one self-contained page a prosecutor can read.

It runs no script and loads nothing remote: a Content-Security-Policy meta tag forbids both,
the style sheet is inline and images are relative paths inside the bag. Every value that
came from the evidence goes through ``html.escape`` (a post whose text is ``<script>`` shows
that text), and text that may be Arabic or Persian is marked ``dir="auto"``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from urllib.parse import quote

from .bundle_names import reveal_bidi_controls

CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
AUDIT_ROWS_SHOWN = 400  # the full chain is always in tideline-audit.jsonl

_STYLE = """
body{font-family:"Noto Sans","Noto Naskh Arabic",Arial,sans-serif;margin:2em;color:#1d2430;
  max-width:1200px}
h1{font-size:1.6em}h2{border-bottom:2px solid #5b8def;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;width:100%;font-size:.9em}
td,th{border:1px solid #c8ced8;padding:.3em .5em;vertical-align:top;text-align:start}
th{background:#eef1f6}
.pair{display:flex;gap:1em;border:1px solid #c8ced8;padding:.8em;margin:1em 0;
  page-break-inside:avoid}
.side{flex:1;min-width:0}
.side img{max-height:320px}
.why{background:#fff7e0;padding:.5em;margin:.5em 0;white-space:pre-wrap}
.item{border:1px solid #dde2ea;padding:.6em;margin:.6em 0;page-break-inside:avoid}
.text{white-space:pre-wrap;overflow-wrap:anywhere;background:#f7f8fa;padding:.4em}
img{max-width:100%;max-height:420px;border:1px solid #ccc}
.meta{color:#4a5568;font-size:.9em}
.tag{display:inline-block;background:#e6ecfa;border-radius:3px;padding:0 .4em;margin:0 .2em}
.status-confirmed{color:#1e7a4d;font-weight:bold}.status-rejected{color:#a3263a}
.status-unsure{color:#a66a00}
code{overflow-wrap:anywhere}
.cluster{border-left:4px solid #5b8def;background:#f7f9fd;padding:.6em 1em;margin:1em 0}
.thumbs{display:flex;flex-wrap:wrap;gap:.5em;margin-top:.5em}
.thumbs img{max-height:120px;max-width:180px}
nav ol{columns:2}
"""


@dataclass
class ReportInput:
    title: str
    scope: str
    exported_at: str
    exporter: str
    tideline_version: str
    audit_head: tuple[int, str]
    items: Sequence[dict]
    links: Sequence[dict]
    audit: Sequence[dict]
    media_paths: Mapping[str, str]  # sha256 -> path relative to data/ (original or preview)
    derived_media: frozenset[str] = frozenset()  # sha256 whose picture is a derived preview
    # Clusters touching the scope, as plain data: {"id", "items" (in scope), "items_in_case",
    # "pages", "phones", "media"}; computed above ``evidence`` and passed in.
    clusters: Sequence[Mapping] = ()


def _e(value: object) -> str:
    return escape(reveal_bidi_controls("" if value is None else str(value)), quote=True)


def _text(value: object, cls: str = "text") -> str:
    if value in (None, ""):
        return ""
    return f'<div class="{cls}" dir="auto">{_e(value)}</div>'


def _img(r: ReportInput, sha: str) -> str:
    path = r.media_paths.get(sha)
    if not path:
        return f'<p class="meta">File <code>{_e(sha)}</code> is not in this bundle.</p>'
    note = " (preview made for viewing; the original is in originals/)" if sha in (
        r.derived_media) else ""
    return (f'<figure><img src="{_e(quote(path))}" alt="{_e(sha[:12])}">'
            f'<figcaption class="meta"><code>{_e(path)}</code>{_e(note)}<br>'
            f'sha256 <code>{_e(sha)}</code></figcaption></figure>')


def _item(r: ReportInput, it: dict, with_media: bool = True) -> str:
    phones = [s["shown"] or s["value"] for s in it.get("selectors", [])
              if s["kind"] in ("phone", "whatsapp")]
    parts = [
        f'<div class="item" id="item-{_e(it["id"])}">',
        f'<strong>Item {_e(it["id"])}</strong> <span class="meta">({_e(it["kind"])})</span>',
        '<table>',
        f'<tr><th>Page / author</th><td dir="auto">{_e(it.get("author") or "—")}</td></tr>',
        f'<tr><th>URL (as received, not a link)</th><td><code>{_e(it.get("url") or "—")}'
        '</code></td></tr>',
        f'<tr><th>Posted</th><td>{_e(it.get("posted_at") or "—")}</td></tr>',
        f'<tr><th>Captured</th><td>{_e(it.get("captured_at") or "—")}</td></tr>',
        f'<tr><th>Phones</th><td dir="auto">{_e(", ".join(phones) or "—")}</td></tr>',
        '<tr><th>Tags</th><td>'
        + ("".join(f'<span class="tag" dir="auto">{_e(t)}</span>' for t in it.get("tags", []))
           or "—") + "</td></tr>",
        "</table>",
    ]
    if it.get("text"):
        parts.append("<p class=meta>Post text</p>" + _text(it["text"]))
    if it.get("ocr_text"):
        parts.append("<p class=meta>Text read from the image (OCR, derived)</p>"
                     + _text(it["ocr_text"]))
    for note in it.get("notes", []):
        parts.append(f'<p class="meta">Note by {_e(note["actor"])} at {_e(note["at"])}</p>'
                     + _text(note["text"]))
    if with_media:
        parts.extend(_img(r, m["sha256"]) for m in it.get("media", []))
    parts.append("</div>")
    return "\n".join(parts)


def _media_side(r: ReportInput, sha: str, items_by_media: Mapping[str, list[dict]]) -> str:
    shown_in = ", ".join(f'<a href="#item-{_e(i["id"])}">item {_e(i["id"])}</a>'
                         for i in items_by_media.get(sha, []))
    return _img(r, sha) + f'<p class="meta">Shown in {shown_in or "no item in scope"}</p>'


def _pair(r: ReportInput, link: dict, items: Mapping[str, dict],
          items_by_media: Mapping[str, list[dict]]) -> str:
    status = link.get("status") or "auto"
    head = (f'<div><strong>Link {_e(link["id"])}</strong>: {_e(link["kind"])}, '
            f'score {_e(link.get("score"))}, band {_e(link.get("band") or "—")}, '
            f'<span class="status-{_e(status)}">{_e(status)}</span>')
    if link.get("decided_by"):
        head += (f' by {_e(link["decided_by"])} (self-asserted) at {_e(link.get("decided_at"))}')
    head += "</div>"
    why = f'<div class="why" dir="auto">Why: {_e(link.get("why"))}</div>'
    if link.get("decision_note"):
        why += f'<div class="why" dir="auto">Decision note: {_e(link["decision_note"])}</div>'
    sides = []
    for end in (link["a"], link["b"]):
        if link["kind"] == "image":
            sides.append(f'<div class="side">{_media_side(r, str(end), items_by_media)}</div>')
        else:
            it = items.get(str(end))
            body = _item(r, it) if it else f"<p>Item {_e(end)} is not in this bundle.</p>"
            sides.append(f'<div class="side">{body}</div>')
    return head + why + '<div class="pair">' + "".join(sides) + "</div>"


def _cluster(r: ReportInput, c: Mapping, also_in: Mapping[str, list[str]] | None = None) -> str:
    shown = list(c.get("items", []))
    # A screenshot of two posts is in the cluster of each post it shows: say so beside it.
    shared = [
        f'<a href="#item-{_e(i)}">item {_e(i)}</a> (also in '
        + ", ".join(f'<a href="#cluster-{_e(o)}">cluster {_e(o)}</a>' for o in others) + ")"
        for i in shown
        if (others := [o for o in (also_in or {}).get(str(i), []) if o != str(c["id"])])
    ]
    of_case = c.get("items_in_case", len(shown))
    count = (f"{len(shown)} items" if of_case == len(shown)
             else f"{len(shown)} of its {of_case} items are in this bundle")
    item_links = ", ".join(f'<a href="#item-{_e(i)}">item {_e(i)}</a>' for i in shown)
    thumbs = "".join(
        f'<img src="{_e(quote(r.media_paths[sha]))}" alt="{_e(sha[:12])}">'
        for sha in list(c.get("media", []))[:12] if sha in r.media_paths)
    more = len(c.get("media", [])) - 12
    return "\n".join([
        f'<div class="cluster" id="cluster-{_e(c["id"])}">',
        f'<strong>Cluster {_e(c["id"])}</strong> <span class="meta">({_e(count)}; '
        "items joined by strong or confirmed links, or showing the same file)</span>",
        "<table>",
        '<tr><th>Pages / accounts</th><td dir="auto">'
        f'{_e(", ".join(c.get("pages", [])) or "—")}</td></tr>',
        f'<tr><th>Phone numbers</th><td>{_e(", ".join(c.get("phones", [])) or "—")}</td></tr>',
        f"<tr><th>Items</th><td>{item_links or '—'}</td></tr>",
        f'<tr><th>Files</th><td>{len(c.get("media", []))}</td></tr>',
        *([f"<tr><th>Items showing posts of other clusters too</th><td>{', '.join(shared)}"
           "</td></tr>"] if shared else []),
        "</table>",
        f'<div class="thumbs">{thumbs}</div>'
        + (f'<p class="meta">and {more} more files</p>' if more > 0 else ""),
        "</div>",
    ])


def render_report(r: ReportInput) -> str:
    items = {str(it["id"]): it for it in r.items}
    items_by_media: dict[str, list[dict]] = {}
    for it in r.items:
        for m in it.get("media", []):
            items_by_media.setdefault(m["sha256"], []).append(it)
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_e(CSP)}">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>Evidence report: {_e(r.title)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f'<h1 dir="auto">Evidence report: {_e(r.title)}</h1>',
        "<table>",
        f"<tr><th>Scope</th><td dir=\"auto\">{_e(r.scope)}</td></tr>",
        f"<tr><th>Items</th><td>{len(r.items)}</td></tr>",
        f"<tr><th>Links inside the scope</th><td>{len(r.links)}</td></tr>",
        f"<tr><th>Exported (UTC)</th><td>{_e(r.exported_at)}</td></tr>",
        f"<tr><th>Exported by</th><td>{_e(r.exporter)} (self-asserted)</td></tr>",
        f"<tr><th>Tideline version</th><td>{_e(r.tideline_version)}</td></tr>",
        f"<tr><th>Audit head at export</th><td>entry {_e(r.audit_head[0])}, "
        f"<code>{_e(r.audit_head[1])}</code></td></tr>",
        "</table>",
        "<p>Files in <code>originals/</code> are byte-identical to what was received; their "
        "SHA-256 is listed beside each picture and in <code>originals.csv</code>. Pictures in "
        "<code>previews/</code> and OCR text are derived for reading only. The bag's manifests "
        "let any BagIt tool check that nothing was changed.</p>",
        "<nav><strong>Contents</strong><ol><li><a href=\"#clusters\">Clusters</a></li>"
        "<li><a href=\"#pairs\">Linked pairs</a></li><li><a href=\"#items\">Items</a></li>"
        "<li><a href=\"#custody\">Chain of custody</a></li></ol></nav>",
        '<h2 id="clusters">Clusters</h2>',
    ]
    if not r.clusters:
        out.append("<p>No clusters were computed for the items in this scope.</p>")
    else:
        many = len(r.clusters) != 1
        out.append(f"<p>{len(r.clusters)} cluster{'s touch' if many else ' touches'} this "
                   f"scope; <code>clusters.json</code> lists {'them' if many else 'it'}, and "
                   "<code>referral.csv</code> gives each page and post with its cluster.</p>")
    also_in: dict[str, list[str]] = {}
    for c in r.clusters:
        for i in c.get("items", []):
            also_in.setdefault(str(i), []).append(str(c["id"]))
    out.extend(_cluster(r, c, also_in) for c in r.clusters)
    out.append('<h2 id="pairs">Linked pairs</h2>')
    if not r.links:
        out.append("<p>No links between items in this scope.</p>")
    for link in r.links:
        out.append(_pair(r, link, items, items_by_media))
    out.append('<h2 id="items">Items</h2>')
    out.extend(_item(r, it) for it in r.items)
    out.append('<h2 id="custody">Chain of custody</h2>')
    entries = list(r.audit)
    shown = entries[-AUDIT_ROWS_SHOWN:]
    if len(shown) < len(entries):
        out.append(f"<p>The last {len(shown)} of {len(entries)} audit entries; the full "
                   "hash-chained log is in <code>tideline-audit.jsonl</code>.</p>")
    else:
        out.append("<p>Every audit entry of the case up to the export; the hash-chained log "
                   "is also in <code>tideline-audit.jsonl</code> beside the data folder.</p>")
    out.append("<table><tr><th>#</th><th>When (UTC)</th><th>Who (self-asserted)</th>"
               "<th>Action</th><th>Details</th><th>Hash</th></tr>")
    for e in shown:
        details = json.dumps(e.get("details", {}), ensure_ascii=False, sort_keys=True)
        out.append(
            f"<tr><td>{_e(e.get('seq'))}</td><td>{_e(e.get('at'))}</td>"
            f"<td dir=\"auto\">{_e(e.get('actor'))}</td><td>{_e(e.get('action'))}</td>"
            f"<td dir=\"auto\"><code>{_e(details[:600])}</code></td>"
            f"<td><code>{_e(str(e.get('hash', ''))[:16])}…</code></td></tr>"
        )
    out.append("</table></body></html>")
    return "\n".join(out) + "\n"
