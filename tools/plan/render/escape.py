"""Values from stack files and the program, written into Markdown or a Mermaid label so they read as text, whatever
they hold: a branch may hold `|`, `"`, backticks, `<`, `>` or `]`, and a stack name what Pulumi accepts.

The Markdown is read twice: as written, in the run's job summary, and in infra-plan-comment.yml's comment, where
tools/preview_comments.py quotes it line by line and turns every `<` into `&lt;` (so nothing here writes a `<`, and a
character escaped as an HTML entity still reads right after that).
"""

from __future__ import annotations

import unicodedata

MARKDOWN_PUNCTUATION = frozenset("\\`*_[]()!|~$#.:")
"""What can start or end GFM inline syntax (emphasis, code, links, images, strikethrough, GitHub's math and emoji,
table cells), and `.` and `:`, without which no autolink literal (`www.`, `https://`) forms; each is ASCII
punctuation, which CommonMark lets a backslash escape (spec 0.31, "Backslash escapes")."""
HTML_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
WORD_JOINER = "\u2060"
"""Written after `@`: GitHub would otherwise take `@name` in a value as a mention and notify that user or team."""
CODE_UNSAFE = frozenset("`|<>&")
"""What a code span cannot show as itself here: a backtick ends it, `|` ends a table cell (GFM 0.29, "Tables"), and
`<`, `>`, `&` are shown as typed, so the comment's `&lt;` would read as four characters."""
MERMAID_LITERAL = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _./-")
"""What a quoted Mermaid label keeps as it is; every other character is written as Mermaid's entity code."""


def visible(text: str) -> str:
    """`text` with every character that does not show itself (controls, line breaks, format characters such as
    right-to-left overrides, unassigned code points) written as `⟨U+XXXX⟩`, so a value cannot break a line or
    reorder what is around it."""
    return "".join(
        f"\u27e8U+{ord(c):04X}\u27e9"
        if unicodedata.category(c)[0] == "C" or unicodedata.category(c) in ("Zl", "Zp")
        else c
        for c in text
    )


def markdown_text(text: str) -> str:
    """`text` as GFM inline text, in a paragraph, a list item or a table cell: it reads as itself."""
    out = []
    for character in visible(text):
        if character in HTML_ENTITIES:
            out.append(HTML_ENTITIES[character])
        elif character in MARKDOWN_PUNCTUATION:
            out.append("\\" + character)
        elif character == "@":
            out.append("@" + WORD_JOINER)
        else:
            out.append(character)
    return "".join(out)


def markdown_code(text: str) -> str:
    """`text` as a code span when one shows it as itself, else as escaped text."""
    shown = visible(text)
    if text and shown == text and not CODE_UNSAFE & set(text) and text == text.strip():
        return f"`{text}`"
    return markdown_text(text)


def mermaid_label(text: str) -> str:
    """`text` inside a quoted Mermaid label (`id["..."]`): every character but letters, digits, space and `_./-` as
    Mermaid's entity code, `#<decimal>;`.

    Mermaid's flowchart syntax, "Special characters that break syntax" and "Entity codes to escape characters"
    (mermaid-js/mermaid packages/mermaid/src/docs/syntax/flowchart.md): text in quotes may hold troublesome
    characters, and "Numbers given are base 10, so `#` can be encoded as `#35;`". A quote, `#`, `;` or `:` kept as
    typed could end the label, start an entity or, on a line holding `style` or `classDef`, lose a `;` to Mermaid's
    `encodeEntities` (mermaid 11 `src/utils.ts`, which `Diagram.fromText` runs over the whole text); an entity code
    is decoded only to text, so no label becomes markup.
    """
    return "".join(c if c in MERMAID_LITERAL else f"#{ord(c)};" for c in visible(text))
