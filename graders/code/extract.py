"""Find the program in a completion.

Rules, in order (the first that yields code wins):

1. Only the text after the last ``</think>`` counts, when there is one (reasoning may quote drafts).
2. The last fenced block whose info string names the requested language
   (python: ``python``, ``py``, ``python3``; cpp: ``cpp``, ``c++``, ``cc``, ``cxx``).
3. The last fenced block with no language tag.
4. An unclosed fence at the end (a truncated generation): from the fence to the end of the text.
5. No fence at all: the whole remaining text is the program (bare-code datasets such as HumanEval
   completions). A fence tagged with another language only (e.g. only ```java) yields no program.
   Bare text that does not compile is prose, not a program: the grader reports ``no_code`` for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from graders.code.languages import LANGUAGES

__all__ = ["Extraction", "LANGUAGE_TAGS", "extract", "extract_program"]

LANGUAGE_TAGS: dict[str, frozenset[str]] = {
    "python": frozenset({"python", "py", "python3", "py3"}),
    "cpp": frozenset({"cpp", "c++", "cc", "cxx", "c++17"}),
    **{name: language.fence_tags for name, language in LANGUAGES.items()},
}
_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*([^\n`]*)$", re.MULTILINE)


def _blocks(text: str) -> tuple[list[tuple[str, str]], str | None]:
    """Closed fenced blocks as (tag, body), and the body of a trailing unclosed fence if any."""
    blocks: list[tuple[str, str]] = []
    position = 0
    while True:
        opening = _FENCE.search(text, position)
        if opening is None:
            return blocks, None
        fence, tag = opening.group(1), opening.group(2).strip().lower()
        closing = re.compile(r"^[ \t]*" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}[ \t]*$", re.MULTILINE)
        end = closing.search(text, opening.end())
        body_start = opening.end() + 1
        if end is None:
            return blocks, (text[body_start:] if tag or not blocks else None)
        blocks.append((tag.split()[0] if tag else "", text[body_start : end.start()]))
        position = end.end()


@dataclass(frozen=True, slots=True)
class Extraction:
    program: str | None
    rule: Literal["tagged", "untagged", "unclosed", "bare", "none"]
    """Which rule found it: a compile error in ``bare`` text means prose, not a broken program."""


def extract(completion: str, language: str) -> Extraction:
    text = completion.rsplit("</think>", 1)[-1]
    tags = LANGUAGE_TAGS.get(language, frozenset({language}))
    blocks, unclosed = _blocks(text)
    tagged = [body for tag, body in blocks if tag in tags]
    if tagged:
        return Extraction(tagged[-1], "tagged")
    untagged = [body for tag, body in blocks if not tag]
    if untagged:
        return Extraction(untagged[-1], "untagged")
    if unclosed is not None:
        return Extraction(unclosed, "unclosed")
    if blocks or not text.strip():
        return Extraction(None, "none")
    return Extraction(text, "bare")


def extract_program(completion: str, language: str) -> str | None:
    """The program to run, or None when the completion holds none for ``language``."""
    return extract(completion, language).program
