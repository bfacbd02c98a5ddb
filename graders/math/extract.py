"""Find the final answer in a completion (or a reference as a dataset stores it).

Order of the rules, first match wins (each yields candidates; ``grade`` parses them in order):

1. Reasoning: only the text after the last ``</think>`` is graded. A ``<think>`` that is opened but
   never closed means the reasoning was truncated: there is no answer at all.
2. ``\\boxed{...}`` / ``\\fbox{...}``: the last one, with balanced (nested) braces. Boxes that
   follow each other separated only by a few connector words (``and``, ``,``, ``\\quad``) form one
   multi-part answer: ``\\boxed{1} and \\boxed{2}`` is the answer ``1, 2``.
3. Anchored phrases: the text after the last "final answer is", "answer:", "**Answer:**",
   "the answer is", up to the end of its sentence.
4. The last math environment (``$...$``, ``$$...$$``, ``\\(...\\)``, ``\\[...\\]``).
5. Short completions (at most ``short_limit`` characters): the whole text as an expression;
   longer ones: the last number written in the text.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass

__all__ = ["Candidate", "DEFAULT_SHORT_LIMIT", "answer_candidates", "find_boxed", "strip_reasoning"]

DEFAULT_SHORT_LIMIT = 80
"""Completions up to this many characters are tried as a bare expression."""

_BOX_COMMAND = re.compile(r"\\(?:boxed|fbox)(?![a-zA-Z])")
_UNBRACED_BOX = re.compile(r"[^\s$]+")
_CONNECTOR_WORDS_MAX = 4
_MAX_JOINED_BOXES = 100  # more parts than the parser accepts anyway
_ANCHOR = re.compile(
    r"(?:\*\*\s*)?(?:final\s+answer\s*(?:is|:)|the\s+answer\s+is|answer\s*(?:is|:)"
    # the same in the languages reasoning models answer in, and GSM8K's "#### 72"
    r"|(?:la\s+)?réponse(?:\s+finale)?\s*(?:est|:)|(?:la\s+)?respuesta(?:\s+final)?\s*(?:es|:)"
    r"|(?:die\s+)?antwort\s*(?:ist|:)|(?:la\s+)?risposta\s*(?:è|:)|(?:a\s+)?resposta\s*(?:é|:)|ответ\s*:"
    r"|最终答案\s*(?:是|为|：|:)?|答案\s*(?:是|为|：|:)|答え\s*(?:は|：|:)|####)(?:\s*\*\*)?\s*[:：]?",
    re.IGNORECASE,
)
_MATH_ENV = re.compile(
    r"\$\$(?P<dd>.+?)\$\$|\\\[(?P<br>.+?)\\\]|(?<!\\)\$(?P<d>(?:\\\$|[^$\n])+?)(?<!\\)\$|\\\((?P<pa>[^\n]+?)\\\)",
    re.DOTALL,
)
_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)*(?:\s*/\s*\d+)?|-?\.\d+")
_SENTENCE_END = re.compile(r"\.(?:\s|$)|\n|。")
_NOT_MATH_SCRIPT = re.compile(r"[^\x00-\x7f]+")


@dataclass(frozen=True, slots=True)
class Candidate:
    """A piece of text that may hold the final answer, and the rule that found it."""

    text: str
    rule: str


def strip_reasoning(text: str, open_tag: str = "<think>", close_tag: str = "</think>") -> str | None:
    """Return the text after the last ``close_tag``; ``None`` when reasoning was left unclosed."""
    close = text.rfind(close_tag)
    if close >= 0:
        return text[close + len(close_tag) :]
    if open_tag in text:
        return None
    return text


def _balanced_group(text: str, start: int) -> int | None:
    """Index just past the ``}`` matching the ``{`` at ``start``, or ``None`` if unbalanced."""
    depth = 0
    i = start
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return None


def find_boxed(text: str) -> list[tuple[int, int, str]]:
    """All boxes as ``(start, end, content)``, in order of appearance."""
    found: list[tuple[int, int, str]] = []
    i = 0
    while True:
        command = _BOX_COMMAND.search(text, i)
        if command is None:
            return found
        pos, j = command.start(), command.end()
        while j < len(text) and text[j] == " ":
            j += 1
        if j < len(text) and text[j] == "{":
            end = _balanced_group(text, j)
            if end is None:
                # An unclosed box: take the rest of the text (a truncated answer is still an answer).
                found.append((pos, len(text), text[j + 1 :]))
                return found
            found.append((pos, end, text[j + 1 : end - 1]))
            i = end
        else:
            i = j
            m = _UNBRACED_BOX.match(text, j)  # \boxed 5
            if m and j > command.end():
                found.append((pos, m.end(), m.group(0)))
                i = m.end()


_SEPARATOR_NOISE = re.compile(r"\\[()\[\]]|\$|\\q?quad|\\text\{|\\textbf\{|\\mathrm\{|[{}(),;:.\\]|\s+")


def _is_connector(between: str) -> bool:
    """Text between two boxes that joins them: nothing, a comma, or a few words including and/or."""
    if not re.search(r"[A-Za-z]{2,}", _SEPARATOR_NOISE.sub(" ", between)):
        return True  # only punctuation and spacing
    words = [w for w in _SEPARATOR_NOISE.sub(" ", between).split() if w]
    if not words:
        return True
    return len(words) <= _CONNECTOR_WORDS_MAX and any(w.lower() in ("and", "or") for w in words)


_PERCENT_AFTER = re.compile(
    r"\s*\$?\s*(?:\\%|%|percent(?![A-Za-z])|pct(?![A-Za-z])|per\s+cent(?![A-Za-z]))", re.IGNORECASE
)


def _boxed_answer(text: str) -> tuple[str, int] | None:
    """The last group of boxes and where it ends; a percent sign or word right after the box belongs
    to it (``\\boxed{20} percent`` is 20%)."""
    boxes = find_boxed(text)
    if not boxes:
        return None
    start, end, content = boxes[-1]
    if not content.rstrip().endswith(("%", "percent")) and _PERCENT_AFTER.match(text, end):
        boxes[-1] = (start, end, content + "\\%")
    group = [boxes[-1]]
    for box in reversed(boxes[:-1]):
        if len(group) > _MAX_JOINED_BOXES or not _is_connector(text[box[1] : group[-1][0]]):
            break
        group.append(box)
    group.reverse()
    return ", ".join(content for _, _, content in group), group[-1][1]


def _last_match(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    last = deque(pattern.finditer(text), maxlen=1)
    return last[0] if last else None


def _anchored_answer(text: str) -> tuple[list[str], int] | None:
    """Readings of the sentence after the last anchor phrase (best first), and where it starts."""
    last = _last_match(_ANCHOR, text)
    if last is None:
        return None
    rest = text[last.end() :].lstrip(" \t:*")
    end = _SENTENCE_END.search(rest)
    segment = rest[: end.start()] if end else rest
    segment = re.sub(r'^\\?"|\\?"$', "", segment.strip()).strip()  # quotes, JSON-escaped or not
    if not segment:
        return None
    words = segment.split(" is ")
    readings = [words[-1] if len(words) > 1 else segment]
    ascii_only = _NOT_MATH_SCRIPT.sub(" ", segment).strip()  # "每份应该是 (\frac{2}{5}) 吨" -> (\frac{2}{5})
    if ascii_only and ascii_only != readings[0] and not re.search(r"[A-Za-z]{3,}\s+[A-Za-z]{3,}", ascii_only):
        readings.append(ascii_only)
    number = _first_number(segment)
    if number is not None and number[0] != readings[0]:
        readings.append(number[0])
    return readings, last.start()


def _last_math_env(text: str) -> tuple[str, int] | None:
    found = _last_match(_MATH_ENV, text)
    if found is None:
        return None
    return next(g for g in found.groups() if g is not None), found.end()


def _first_number(text: str) -> tuple[str, int] | None:
    found = _NUMBER.search(text)
    return (found.group(0), found.end()) if found else None


_BROKEN_INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\$)[^$]*\n[^$]*(?<![\\$])\$(?!\$)|\\\([^\n]*?\n.*?\\\)", re.DOTALL)
"""Inline math (``$…$``, ``\\(…\\)``) cannot span lines: what such a broken pair encloses is not read."""


def _last_number(text: str) -> tuple[str, int] | None:
    text = _BROKEN_INLINE_MATH.sub(lambda m: " " * len(m.group(0)), text)  # positions kept
    found = _last_match(_NUMBER, text)
    return (found.group(0), found.end()) if found else None


_FORMULA = re.compile(r"[\w\s.+\-*/^()\[\],|!=<>]+")
_TWO_WORDS = re.compile(r"[A-Za-z]{3,}\s+[A-Za-z]{3,}")
MAX_FORMULA_CHARS = 2000


def _is_formula(text: str) -> bool:
    """One line of plain-text math, however long (an expanded polynomial): never two words in a row."""
    return (
        len(text) <= MAX_FORMULA_CHARS
        and "\n" not in text
        and _FORMULA.fullmatch(text) is not None
        and not _TWO_WORDS.search(text)
    )


def answer_candidates(text: str, *, short_limit: int = DEFAULT_SHORT_LIMIT) -> list[Candidate]:
    """Candidates for the final answer of ``text``, best first; empty when there is none."""
    graded = strip_reasoning(text)
    if graded is None:
        return []
    graded = graded.strip()
    candidates: list[Candidate] = []
    boxed = _boxed_answer(graded)
    anchored = _anchored_answer(graded)
    anchor_candidates = [Candidate(text, "anchor") for text in anchored[0]] if anchored else []
    if boxed is not None:
        # A box wins, unless an anchored sentence comes after it ("... Final answer: 10,455"). An
        # unreadable box is no answer: nothing else in the text (a number inside it) stands in for it.
        box = Candidate(boxed[0], "boxed")
        later_anchor = anchored is not None and anchored[1] >= boxed[1]
        return [*anchor_candidates, box] if later_anchor else [box]
    candidates.extend(anchor_candidates)
    if graded and (len(graded) <= short_limit or _is_formula(graded)):
        candidates.append(Candidate(graded, "whole"))
    # Last resorts: whichever of the last math environment and the last number ends later.
    tail = [
        (found[1], Candidate(found[0], rule))
        for found, rule in ((_last_math_env(graded), "math_env"), (_last_number(graded), "last_number"))
        if found is not None
    ]
    candidates.extend(c for _, c in sorted(tail, key=lambda t: -t[0]))
    return candidates
