"""Language consistency: the proportion of the reasoning's words that are in the target language.

DeepSeek-R1 adds this reward to stop the model mixing languages in its chain of thought.

    score = target-language words / counted words          (1.0 when nothing is countable)

What counts: words of two letters or more. Neutral, never counted: code (fenced blocks, inline
backticks), LaTeX (``$…$``, ``$$…$$``, ``\\(…\\)``, ``\\[…\\]``, environments, ``\\commands``), URLs,
numbers, symbols, and single letters (math variables such as ``x`` or ``n`` far more often than
words). Each CJK character counts as one word (those scripts do not separate words by spaces).

Which language a word is in: most scripts name it outright (Han, kana, Hangul, Cyrillic, Arabic,
Devanagari, Greek, Hebrew, Thai, …); for a Han character, the target decides (Chinese and Japanese
both write Han). Languages that share the Latin script (English, French, German, Spanish, …) are
told apart by a language-identification model, run on each stretch of consecutive Latin words
(split at sentence ends). Languages that share a non-Latin script (Russian and Ukrainian, Arabic and
Persian) are not told apart: the script decides.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import regex

__all__ = [
    "LATIN_LANGUAGES",
    "LanguageVerdict",
    "consistency",
    "detect_language",
    "normalize_code",
    "reasoning_span",
]

LATIN_LANGUAGES = ("en", "fr", "de", "es", "it", "pt", "nl")
"""Latin-script languages the model tells apart; a Latin word of another language counts as one of these."""

SCRIPT_LANGUAGES: dict[str, str] = {
    "zh": "Han",
    "ja": "Kana",
    "ko": "Hangul",
    "ru": "Cyrillic",
    "uk": "Cyrillic",
    "bg": "Cyrillic",
    "sr": "Cyrillic",
    "ar": "Arabic",
    "fa": "Arabic",
    "ur": "Arabic",
    "hi": "Devanagari",
    "mr": "Devanagari",
    "ne": "Devanagari",
    "bn": "Bengali",
    "ta": "Tamil",
    "te": "Telugu",
    "el": "Greek",
    "he": "Hebrew",
    "th": "Thai",
    "ka": "Georgian",
    "hy": "Armenian",
}
_ALIASES = {
    "english": "en", "french": "fr", "german": "de", "spanish": "es", "italian": "it", "portuguese": "pt",
    "dutch": "nl", "chinese": "zh", "japanese": "ja", "korean": "ko", "russian": "ru", "arabic": "ar",
    "hindi": "hi", "zh-cn": "zh", "zh-tw": "zh", "zh-hans": "zh", "zh-hant": "zh", "pt-br": "pt",
    "en-us": "en", "en-gb": "en",
}  # fmt: skip

_NEUTRAL = regex.compile(
    r"```.*?(?:```|\Z)"  # fenced code (an unclosed fence runs to the end)
    r"|`[^`\n]*`"  # inline code
    r"|\$\$.*?\$\$|\$[^$]*\$"  # TeX math
    r"|\\\[.*?\\\]|\\\(.*?\\\)"
    r"|\\begin\{(\w+\*?)\}.*?\\end\{\1\}"
    r"|\\[A-Za-z]+"  # a TeX command outside math
    r"|https?://\S+|www\.\S+"
    r"|\d+(?:[.,]\d+)*",  # numbers, so that "28.27" does not end a sentence
    regex.DOTALL,
)
_TOKEN = regex.compile(
    r"[\p{Han}\p{Hiragana}\p{Katakana}]"  # one CJK character
    r"|\p{L}[\p{L}\p{M}]*(?:['’\-]\p{L}[\p{L}\p{M}]*)*"  # a word
    r"|[.!?;:。！？；\n]"  # a sentence end: Latin stretches are identified sentence by sentence
)
_STOPS = frozenset(".!?;:。！？；\n")
_SCRIPTS = ("Latin", "Hangul", "Cyrillic", "Arabic", "Devanagari", "Bengali", "Tamil", "Telugu", "Greek",
            "Hebrew", "Thai", "Georgian", "Armenian")  # fmt: skip
_SCRIPT_PATTERNS = {name: regex.compile(rf"\p{{{name}}}") for name in _SCRIPTS}


@dataclass(frozen=True, slots=True)
class LanguageVerdict:
    score: float
    words: int
    target_words: int


def normalize_code(code: str) -> str | None:
    """ISO 639-1 code of a target (``"en"``, ``"English"``, ``"zh-CN"``), or None when unknown."""
    name = code.strip().lower().replace("_", "-")
    name = _ALIASES.get(name, name)
    if name in SCRIPT_LANGUAGES or name in LATIN_LANGUAGES:
        return name
    base = name.split("-")[0]
    return base if base in SCRIPT_LANGUAGES or base in LATIN_LANGUAGES else None


def reasoning_span(completion: str, prompt: str | None = None) -> str:
    """The ``<think>`` span: inside the block, or up to ``</think>`` when the prompt pre-filled
    ``<think>``; the whole completion when there is no think block."""
    if "</think>" in completion:
        head = completion.split("</think>", 1)[0]
        return head.split("<think>", 1)[1] if "<think>" in head else head
    if "<think>" in completion:
        return completion.split("<think>", 1)[1]  # unclosed: the reasoning runs to the end
    return completion


@functools.lru_cache(maxsize=4096)
def _script(letter: str) -> str:
    """The script of a word, from its first letter ("Han" and "Kana" for CJK characters)."""
    if regex.match(r"\p{Han}", letter):
        return "Han"
    if regex.match(r"[\p{Hiragana}\p{Katakana}]", letter):
        return "Kana"
    for name, pattern in _SCRIPT_PATTERNS.items():
        if pattern.match(letter):
            return name
    return "Other"


LONG_RUN_WORDS = 5
"""From this many words on, lingua's low-accuracy mode (trigrams only, about 95% right on such spans
and several times faster) decides; shorter stretches get the high-accuracy mode."""


@functools.lru_cache(maxsize=2)
def _detector(low_accuracy: bool = False) -> Any:
    """The Latin-script model (lingua), built once per process for the languages above only:
    restricting the candidates is what makes short spans reliable."""
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [getattr(IsoCode639_1, code.upper()) for code in LATIN_LANGUAGES]
    builder = LanguageDetectorBuilder.from_iso_codes_639_1(*codes).with_preloaded_language_models()
    return (builder.with_low_accuracy_mode() if low_accuracy else builder).build()


def _confidences(text: str) -> Any:
    """lingua's confidence values for a stretch of Latin words, best first."""
    return _detector(text.count(" ") + 1 >= LONG_RUN_WORDS).compute_language_confidence_values(text)


def _latin_language(text: str) -> str | None:
    values = _confidences(text)
    return str(values[0].language.iso_code_639_1.name).lower() if values else None


BENEFIT_OF_DOUBT = 0.5
"""A Latin stretch counts as the target when the target's confidence is at least this share of the
best language's: short spans are ambiguous ("the sum" could be several languages), and the reward is
meant to punish clear switches of language, not the model's uncertainty."""


@functools.lru_cache(maxsize=65_536)
def _is_target(text: str, target: str) -> bool:
    """Cached: reasoning repeats its phrases, and GRPO groups repeat whole completions."""
    values = _confidences(text)
    if not values:
        return False
    wanted = target.upper()
    share = next((v.value for v in values if v.language.iso_code_639_1.name == wanted), 0.0)
    return bool(share >= BENEFIT_OF_DOUBT * values[0].value)


def _count(text: str, target: str) -> tuple[int, int]:
    """(counted words, target words) of ``text`` for ``target``."""
    counted = matched = 0
    target_script = SCRIPT_LANGUAGES.get(target)
    latin_target = target in LATIN_LANGUAGES
    run: list[str] = []

    def flush() -> None:
        nonlocal counted, matched
        counted += len(run)
        if latin_target and _is_target(" ".join(run), target):
            matched += len(run)
        run.clear()

    for token in _TOKEN.findall(_NEUTRAL.sub(" ", text)):
        if token in _STOPS:
            if run:
                flush()
            continue
        script = _script(token[0])
        if script == "Han" or script == "Kana":
            if run:
                flush()
            counted += 1
            matched += target == "ja" or (target == "zh" and script == "Han")
            continue
        if len(token) < 2:
            continue  # a single letter: a math variable far more often than a word
        if script == "Latin":
            run.append(token)
            continue
        if run:
            flush()
        if script != "Other":
            counted += 1
            matched += script == target_script
    if run:
        flush()
    return counted, matched


def consistency(text: str, target: str) -> LanguageVerdict:
    """The share of ``text``'s countable words written in ``target`` (an ISO 639-1 code)."""
    code = normalize_code(target)
    if code is None:
        raise ValueError(f"unknown target language {target!r}")
    counted, matched = _count(text, code)
    score = matched / counted if counted else 1.0
    return LanguageVerdict(score=score, words=counted, target_words=matched)


def detect_language(text: str) -> str | None:
    """The dominant language of a prompt: the script with most words, then the model for Latin."""
    counts: dict[str, int] = {}
    latin: list[str] = []
    for token in _TOKEN.findall(_NEUTRAL.sub(" ", text[:20_000])):
        if token in _STOPS:
            continue
        script = _script(token[0])
        if script not in ("Han", "Kana") and len(token) < 2:
            continue
        counts[script] = counts.get(script, 0) + 1
        if script == "Latin" and len(latin) < 200:
            latin.append(token)
    counts.pop("Other", None)
    if not counts:
        return None
    best = max(counts, key=lambda k: counts[k])
    if best in ("Han", "Kana"):
        return "ja" if counts.get("Kana", 0) * 5 >= counts.get("Han", 0) else "zh"
    if best == "Latin":
        return _latin_language(" ".join(latin))
    for code, script in SCRIPT_LANGUAGES.items():
        if script == best:
            return code  # the first language listed for the script
    return None
