"""WeCom's callback XML → nested dicts, as xmltodict gives them, with the refusals in the parser.

The shape is xmltodict's, so the code that reads it stays as it was: an element with text only
is its stripped text (None when empty), one with children (or attributes) a dict, a repeated
element — or one named in `force_list` — a list.

The dicts are built in expat's own callbacks, and those callbacks refuse what WeCom never
sends, before it can cost anything (as defusedxml's handlers do, plus bounds):
- a document type declaration, an entity declaration or an external entity reference: without
  a DTD no entity can be declared, so nothing expands (billion laughs) or reaches outside;
- a processing instruction, anywhere (the `<?xml …?>` declaration is not one);
- an element deeper than MAX_DEPTH, or more than MAX_ELEMENTS of them (WeCom's messages nest 4
  deep and have fewer than 50): a deep document cannot exhaust the stack, a wide one the CPU.
Each raises `XmlRefused`, a ValueError, from inside the parse. Building in expat's callbacks
costs what the C ElementTree plus a tree walk did (7–15 µs for each of the callback's
documents, measured side by side), and needs no recursion.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, NoReturn
from xml.parsers import expat

__all__ = ["MAX_DEPTH", "MAX_ELEMENTS", "XmlRefused", "parse_xml"]

MAX_DEPTH = 32
MAX_ELEMENTS = 512


class XmlRefused(ValueError):
    """The document holds something the parser refuses. `read_so_far` is the root element's
    children completed before the refusal (leaves only: text or None), in xmltodict's shape,
    so an authentic message can still be answered to its sender."""

    def __init__(self, reason: str, read_so_far: dict[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.read_so_far = read_so_far or {}


def parse_xml(document: str | bytes, force_list: Collection[str] = ()) -> dict[str, Any]:
    """{root tag: its value}; raises ValueError (XmlRefused among them) or ExpatError."""
    text = document.decode("utf-8") if isinstance(document, bytes) else document
    builder = _Builder(frozenset(force_list))
    parser = expat.ParserCreate()
    parser.buffer_text = True  # one data callback per text run, not one per line or entity
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    parser.StartDoctypeDeclHandler = builder.refuse_doctype
    parser.EntityDeclHandler = builder.refuse_entity
    parser.UnparsedEntityDeclHandler = builder.refuse_entity
    parser.ExternalEntityRefHandler = builder.refuse_entity
    parser.ProcessingInstructionHandler = builder.refuse_pi
    parser.Parse(text, True)
    if builder.root is None:  # expat refuses a document without a root first; kept for mypy
        raise ValueError("no root element")
    return builder.root


class _Builder:
    """expat's callbacks: one frame per open element, [tag, children (dict or None), texts]."""

    __slots__ = ("_elements", "_force_list", "_stack", "root")

    def __init__(self, force_list: frozenset[str]) -> None:
        self._force_list = force_list
        self._stack: list[list[Any]] = []
        self._elements = 0
        self.root: dict[str, Any] | None = None

    def _refuse(self, reason: str) -> XmlRefused:
        top = self._stack[0][1] if self._stack else None
        leaves = {k: v for k, v in (top or {}).items() if v is None or isinstance(v, str)}
        return XmlRefused(reason, leaves)

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        self._elements += 1
        if len(self._stack) >= MAX_DEPTH:
            raise self._refuse(f"elements nested deeper than {MAX_DEPTH}")
        if self._elements > MAX_ELEMENTS:
            raise self._refuse(f"more than {MAX_ELEMENTS} elements")
        node = {f"@{name}": value for name, value in attrs.items()} if attrs else None
        self._stack.append([tag, node, []])

    def data(self, text: str) -> None:
        self._stack[-1][2].append(text)

    def end(self, _tag: str) -> None:
        tag, node, texts = self._stack.pop()
        text = "".join(texts).strip()
        value: Any
        if node is None:
            value = text or None
        else:
            if text:
                node["#text"] = text
            value = node
        if not self._stack:
            self.root = {tag: value}
            return
        parent = self._stack[-1]
        siblings = parent[1]
        if siblings is None:
            siblings = parent[1] = {}
        if tag in siblings:
            held = siblings[tag]
            # A list already there is this tag's (forced, or repeated): values are never lists.
            if isinstance(held, list):
                held.append(value)
            else:
                siblings[tag] = [held, value]
        elif tag in self._force_list:
            siblings[tag] = [value]
        else:
            siblings[tag] = value

    def refuse_doctype(self, *_: Any) -> NoReturn:
        raise self._refuse("document type declarations are not accepted")

    def refuse_entity(self, *_: Any) -> NoReturn:
        raise self._refuse("entity declarations and references are not accepted")

    def refuse_pi(self, *_: Any) -> NoReturn:
        raise self._refuse("processing instructions are not accepted")
