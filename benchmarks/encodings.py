"""Encodings: how often each decoder gives back the text that was encoded, on inputs of the kinds people bring.

The test set is the project's own text (the example articles, the tests'
headlines and sentences, and mixed-script lines: Cyrillic sentences with
Latin names), each encoded the ways news files arrive: UTF-8 with a stray
byte or cut in the middle of its last character, Windows-1251, KOI8-R
(Russian), KOI8-U (Ukrainian), UTF-16 with and without a byte-order mark,
and Windows-1252 (English with typographic quotes and accents). A decoder
is right when its text equals the original (U+FFFD in place of the damaged
bytes, for damaged UTF-8). Compared:

* ``library``: :func:`summarize.inputs.decoding.decode_bytes`;
* ``before``: the rule it replaced (strict UTF-8, else the likelier of
  Windows-1251 and KOI8-U for the whole file);
* ``charset-normalizer``: ``from_bytes(data).best()``, unconstrained;
* ``charset-normalizer (isolated)``: the same, limited to the encodings above.

    python benchmarks/encodings.py              # a second or two; prints the table, writes results/encodings.{json,md}
"""

from __future__ import annotations

import argparse
import codecs
import json
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT))

from summarize.inputs.decoding import decode_bytes  # noqa: E402
from summarize.errors import InvalidInputError  # noqa: E402


def texts() -> dict[str, list[tuple[str, str]]]:
    """``kind -> [(lang, text)]``: articles, headlines, sentences and mixed-script lines."""
    data = ROOT / "tests" / "data"
    articles = [(p.name[:2], p.read_text(encoding="utf-8")) for p in sorted((ROOT / "examples").glob("*.txt"))]
    headlines = [tuple(line.split("\t", 1)) for line in (data / "langid_headlines.tsv").read_text(encoding="utf-8").splitlines() if "\t" in line]
    sentences = [(lang, line) for lang in ("uk", "ru") for line in (data / f"langid_{lang}.txt").read_text(encoding="utf-8").splitlines() if line.strip()]
    names = [line for line in (data / "langid_en_names.txt").read_text(encoding="utf-8").splitlines() if line.strip()]
    mixed = [(lang, f"{line} ({names[i % len(names)]})") for i, (lang, line) in enumerate(sentences[::3])]
    english = [("en", t.replace(" said", " said “yes”").replace("'", "’") + " Café in Zürich, naïve résumé.") for _, t in headlines if _ == "en"][:20]
    english += [(lang, t.replace("budget", "café budget")) for lang, t in headlines if lang == "en"][:10]
    return {"article": articles, "headline": headlines, "sentence": sentences, "mixed": mixed, "english-1252": english}


def encodings_for(lang: str, kind: str) -> list[str]:
    if kind == "english-1252":
        return ["cp1252"]
    legacy = {"uk": ["cp1251", "koi8_u"], "ru": ["cp1251", "koi8_r"], "en": []}[lang]
    return ["utf-8+stray", "utf-8+cut", *legacy, "utf-16-bom", "utf-16-le", "utf-16-be"]


def encode(text: str, encoding: str) -> tuple[bytes, str]:
    """The bytes, and the text a right decoder gives back."""
    if encoding == "utf-8+stray":
        raw = text.encode("utf-8")
        at = min(1000, len(raw) // 2)
        while at < len(raw) and (raw[at] & 0xC0) == 0x80:  # not inside a character
            at += 1
        return raw[:at] + b"\xff" + raw[at:], raw[:at].decode() + "\ufffd" + raw[at:].decode()
    if encoding == "utf-8+cut":
        raw = text.rstrip().encode("utf-8")
        last = len(raw) - 1
        while (raw[last] & 0xC0) == 0x80:
            last -= 1
        if raw[last] < 0x80:  # ends in ASCII: end on a closing quote, then cut it
            raw += "’".encode()
            last = len(raw) - 3
        return raw[: last + 1], raw[:last].decode() + "\ufffd"
    if encoding == "utf-16-bom":
        return codecs.BOM_UTF16_LE + text.encode("utf-16-le"), text
    return text.encode(encoding), text


def before(data: bytes) -> str | None:
    """The rule this library used before: strict UTF-8, else the likelier of two Cyrillic code pages."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    if b"\x00" in data[:8192]:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    best, best_score = None, 0.0
    for encoding in ("cp1251", "koi8_u"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        letters = [c for c in text if c.isalpha()]
        score = sum(1 for c in letters if "а" <= c <= "я" or c in "іїєґёў") / len(letters) if letters else 0.0
        if score > best_score:
            best, best_score = text, score
    return best if best_score > 0.5 else None


def library(data: bytes) -> str | None:
    try:
        return decode_bytes(data, "x").text
    except InvalidInputError:
        return None


def normalizer(isolated: bool):
    from charset_normalizer import from_bytes

    def decode(data: bytes) -> str | None:
        options = {"cp_isolation": ["utf_8", "cp1251", "koi8_r", "koi8_u", "cp1252", "utf_16", "utf_16_le", "utf_16_be"]} if isolated else {}
        best = from_bytes(data, **options).best()
        if best is None:
            return None
        text = str(best)
        # charset-normalizer drops damaged bytes where the library puts U+FFFD; compare without them.
        return text
    return decode


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = p.parse_args(argv)
    decoders = {"library": library, "before": before}
    try:
        decoders["charset-normalizer"] = normalizer(False)
        decoders["charset-normalizer (isolated)"] = normalizer(True)
    except ImportError:
        print("charset-normalizer is not installed: its columns are skipped", file=sys.stderr)
    rows: dict[tuple[str, str], dict[str, list[int]]] = {}
    failures: dict[str, list[str]] = {name: [] for name in decoders}
    for kind, items in texts().items():
        for lang, text in items:
            for encoding in encodings_for(lang, kind):
                try:
                    data, expected = encode(text, encoding)
                except UnicodeEncodeError:
                    continue
                family = encoding if not encoding.startswith("utf-16") else "utf-16"
                row = rows.setdefault((kind, family), {name: [0, 0] for name in decoders})
                for name, decode in decoders.items():
                    got = decode(data)
                    right = got == expected or (got is not None and got.replace("\ufffd", "") == expected.replace("\ufffd", "") and name.startswith("charset"))
                    row[name][0] += int(right)
                    row[name][1] += 1
                    if not right and len(failures[name]) < 5:
                        failures[name].append(f"{kind}/{encoding}/{lang}: {text[:40]!r} -> {(got or '')[:40]!r}")
    names = list(decoders)
    lines = ["### Decoding: right / cases, by kind of text and encoding", "",
             "| text | encoding | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    totals = {n: [0, 0] for n in names}
    for (kind, family), row in rows.items():
        lines.append(f"| {kind} | {family} | " + " | ".join(f"{row[n][0]}/{row[n][1]}" for n in names) + " |")
        for n in names:
            totals[n][0] += row[n][0]
            totals[n][1] += row[n][1]
    lines.append("| **all** | | " + " | ".join(f"**{totals[n][0]}/{totals[n][1]}** ({100 * totals[n][0] / totals[n][1]:.1f}%)" for n in names) + " |")
    markdown = "\n".join(lines) + "\n"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "encodings.json").write_text(json.dumps({"rows": [{"text": k, "encoding": e, **{n: v[n] for n in names}} for (k, e), v in rows.items()],
                                                   "totals": totals, "first_failures": failures}, indent=2, ensure_ascii=False))
    (out / "encodings.md").write_text(markdown)
    print(markdown)
    for name, items in failures.items():
        for item in items:
            print(f"{name}: {item}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
