"""The project's docs/ pages, served to signed-in people so that pages can link to what they promise
(docs/privacy.md#forgetting-a-person-erasure). Headings get the anchors GitHub gives them."""

from functools import cache
from pathlib import Path

import markdown
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe

DOCS = Path(__file__).resolve().parent.parent / "docs"


@cache
def _rendered(name: str) -> tuple[str, str]:
    text = (DOCS / f"{name}.md").read_text(encoding="utf-8")
    title = next((line.lstrip("# ").strip() for line in text.splitlines() if line.startswith("# ")), name)
    html = markdown.markdown(text, extensions=["toc", "tables", "fenced_code"])
    return title, html


@login_required
def doc_page(request: HttpRequest, name: str) -> HttpResponse:
    # Only the Markdown files of docs/ by their plain name: the URL pattern allows no slash or dot.
    if not (DOCS / f"{name}.md").is_file():
        raise Http404("No such page of the documentation")
    title, html = _rendered(name)
    return render(request, "doc.html", {"title": title, "html": mark_safe(html)})  # noqa: S308 - our own docs
