"""WeCom's callback XML → nested dicts, as xmltodict gives them, at a third of the cost.

The callback path parses two documents per message (the envelope and the decrypted message);
xmltodict builds its dicts in Python SAX callbacks (≈ 29 µs a message), the standard library's
C ElementTree in ≈ 9 µs. The shape is xmltodict's, so the code that reads it stays as it was:
an element with text only is its stripped text (None when empty), one with children (or
attributes) a dict, a repeated element — or one named in `force_list` — a list.

A document type declaration is refused before parsing: WeCom never sends one, and without a
DTD there are no entities to declare, so nothing can expand (billion laughs) or reach outside.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from xml.etree.ElementTree import Element, XMLParser

__all__ = ["parse_xml"]


def parse_xml(document: str | bytes, force_list: Collection[str] = ()) -> dict[str, Any]:
    """{root tag: its value}; raises ValueError or ParseError (a SyntaxError) when malformed."""
    text = document.decode("utf-8") if isinstance(document, bytes) else document
    root_at = text.find("<xml")
    # A DTD can only stand before the root element; "<!" there is one (or a comment, which
    # WeCom never sends either). Inside the document, "<!" only opens CDATA or comments.
    if "<!" in (text if root_at < 0 else text[:root_at]):
        raise ValueError("document type declarations are not accepted")
    parser = XMLParser()
    parser.feed(text)
    root = parser.close()
    return {root.tag: _value(root, frozenset(force_list))}


def _value(element: Element, force_list: frozenset[str]) -> Any:
    text = element.text.strip() if element.text else ""
    if not len(element) and not element.attrib:
        return text or None
    node: dict[str, Any] = {f"@{name}": value for name, value in element.attrib.items()}
    listed: set[str] = set()  # tags whose value is a list (forced, or the element repeated)
    for child in element:
        if len(child) or child.attrib:
            value = _value(child, force_list)
        else:  # a leaf, as nearly every element of a callback is: no call
            value = (child.text.strip() if child.text else "") or None
        if child.tag in listed:
            node[child.tag].append(value)
        elif child.tag in node or child.tag in force_list:
            node[child.tag] = [node[child.tag], value] if child.tag in node else [value]
            listed.add(child.tag)
        else:
            node[child.tag] = value
    if text:
        node["#text"] = text
    return node
