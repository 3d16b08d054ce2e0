"""The built-in datasets laid out as the hub holds them, with generated news, for the stand-in hub.

Each repository has the layout that the loading code has to cope with:

* ``csebuetnlp/xlsum``: a loading script, the raw archives
  (``data/{language}_XLSum_v2.0.tar.bz2`` holding ``{language}_{split}.jsonl``)
  and the viewer's Parquet export under ``refs/convert/parquet``
  (``{language}/{split}/0000.parquet``);
* ``csebuetnlp/CrossSum``: a loading script and only the raw archives
  (``data/{source}-{target}_CrossSum.tar.bz2``);
* ``IlyaGusev/gazeta``: a loading script with the data as JSONL files,
  in two versions (revisions ``v1.0`` and ``v2.0``; ``main`` is v2), and an
  export of ``main`` only;
* ``abisee/cnn_dailymail``: Parquet files in the repository (``3.0.0/``).

The articles are short passages written for this module (three stories in
English, Ukrainian and Russian, with varying numbers); they are not real
news. ``python -m summarize_eval.standin_data`` serves all of it, and tiny
random-weight stand-ins of the presets' models, until interrupted.
"""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Iterator

from .standin_hub import StandInHub

NAMES = {"en": "english", "uk": "ukrainian", "ru": "russian"}
SPLITS = {"train": 4, "validation": 4, "test": 12}
RAW_SPLIT = {"train": "train", "validation": "val", "test": "test"}

_CITIES = [("Lviv", "Львова", "Львова"), ("Kharkiv", "Харкова", "Харькова"),
           ("Odesa", "Одеси", "Одессы"), ("Dnipro", "Дніпра", "Днепра")]

# (article, summary) per language; {city} is the genitive in uk and ru.
_STORIES = [
    {
        "en": ("The {city} city council approved a budget of {n} million hryvnias on Tuesday. Officials said the money "
               "would repair roads and schools before winter. The mayor said work would begin in spring.",
               "{city} council approved a {n} million budget for roads and schools."),
        "uk": ("Міська рада {city} у вівторок ухвалила бюджет обсягом {n} мільйонів гривень. Посадовці заявили, що "
               "кошти підуть на ремонт доріг і шкіл до зими. Мер сказав, що роботи почнуться навесні.",
               "Рада {city} ухвалила бюджет на {n} мільйонів гривень для доріг і шкіл."),
        "ru": ("Городской совет {city} во вторник утвердил бюджет в размере {n} миллионов гривен. Чиновники заявили, "
               "что средства пойдут на ремонт дорог и школ до зимы. Мэр сказал, что работы начнутся весной.",
               "Совет {city} утвердил бюджет на {n} миллионов гривен для дорог и школ."),
    },
    {
        "en": ("Energy prices in {city} rose by {n} percent in October, the statistics office said. Economists expect "
               "inflation to slow next year. Fuel costs were the main driver of the rise.",
               "Energy prices in {city} rose {n} percent in October."),
        "uk": ("Ціни на енергоносії у жовтні зросли на {n} відсотка, повідомила служба статистики {city}. Економісти "
               "очікують, що інфляція сповільниться наступного року. Головною причиною стали витрати на пальне.",
               "Ціни на енергоносії у жовтні зросли на {n} відсотка."),
        "ru": ("Цены на энергоносители в октябре выросли на {n} процента, сообщила служба статистики {city}. "
               "Экономисты ожидают, что инфляция замедлится в следующем году. Главной причиной стали расходы на топливо.",
               "Цены на энергоносители в октябре выросли на {n} процента."),
    },
    {
        "en": ("A new train from {city} to the capital started running, with {n} trains a day. The trip takes five "
               "hours. Tickets went on sale last week and sold out quickly.",
               "A train from {city} to the capital started with {n} daily trains."),
        "uk": ("Новий потяг з {city} до столиці почав курсувати, щодня їздитиме {n} потягів. Поїздка триває п'ять "
               "годин. Квитки надійшли у продаж минулого тижня і швидко закінчилися.",
               "З {city} до столиці запустили {n} щоденних потягів."),
        "ru": ("Новый поезд из {city} в столицу начал курсировать, ежедневно будет ходить {n} поездов. Поездка "
               "занимает пять часов. Билеты поступили в продажу на прошлой неделе и быстро закончились.",
               "Из {city} в столицу запустили {n} ежедневных поездов."),
    },
]


def story(number: int, lang: str) -> tuple[str, str]:
    """The ``number``-th generated (article, summary) in ``lang``; the same story in every language."""
    template = _STORIES[number % len(_STORIES)][lang]
    city = _CITIES[(number // len(_STORIES)) % len(_CITIES)][{"en": 0, "uk": 1, "ru": 2}[lang]]
    n = 11 + 7 * number
    return template[0].format(city=city, n=n), template[1].format(city=city, n=n)


def _rows(lang: str, split: str, *, target: str | None = None, first: int = 0, prefix: str = "") -> list[dict]:
    """Generated rows with XL-Sum's columns (CrossSum's when ``target`` is given)."""
    offset = {"test": 0, "validation": 100, "train": 200}[split] + first
    rows = []
    for number in range(offset, offset + SPLITS[split]):
        text, summary = story(number, lang)
        if target:
            summary = story(number, target)[1]
        url = f"https://news.example/{lang}/{number}"
        if target:
            rows.append({"source_url": url, "target_url": f"https://news.example/{target}/{number}",
                         "summary": summary, "text": text})
            continue
        rows.append({"id": f"{prefix}{lang}-{split}-{number:04d}", "url": url,
                     "title": summary.split(".")[0], "summary": summary, "text": text})
    return rows


def _jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()


def _parquet(rows: list[dict]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows), out)
    return out.getvalue()


def _tar_bz2(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:bz2") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _card(configs: Iterator[tuple[str, str, str]] | None = None) -> bytes:
    if configs is None:
        return b"# A dataset\n"
    lines = ["---", "configs:"]
    current = None
    for config, split, pattern in configs:
        if config != current:
            lines += [f"- config_name: {config}", "  data_files:"]
            current = config
        lines += [f"  - split: {split}", f"    path: {pattern}"]
    return ("\n".join(lines + ["---", "# A dataset", ""])).encode()


def add_datasets(hub: StandInHub) -> None:
    """Add the built-in datasets, and three of a user's own (``newsroom/...``), to ``hub``."""
    script = b"import datasets  # a loading script: datasets 4 and later refuse to run it\n"
    xlsum = {"README.md": _card(), "xlsum.py": script}
    export: dict[str, bytes] = {}
    for lang, name in NAMES.items():
        xlsum[f"data/{name}_XLSum_v2.0.tar.bz2"] = _tar_bz2(
            {f"{name}_{RAW_SPLIT[s]}.jsonl": _jsonl(_rows(lang, s)) for s in SPLITS})
        for split in SPLITS:
            export[f"{name}/{split}/0000.parquet"] = _parquet(_rows(lang, split))
    hub.add("csebuetnlp/xlsum", {"main": xlsum, "refs/convert/parquet": export})

    crosssum = {"README.md": _card(), "CrossSum.py": script}
    for src in NAMES:
        for tgt in NAMES:
            pair = f"{NAMES[src]}-{NAMES[tgt]}"
            crosssum[f"data/{pair}_CrossSum.tar.bz2"] = _tar_bz2(
                {f"{pair}_{RAW_SPLIT[s]}.jsonl": _jsonl(_rows(src, s, target=tgt)) for s in SPLITS})
    hub.add("csebuetnlp/CrossSum", {"main": crosssum})

    versions = {}
    for version, first in (("v1.0", 0), ("v2.0", 40)):
        files = {"README.md": _card(), "gazeta.py": script}
        for split in SPLITS:
            files[f"gazeta_{RAW_SPLIT[split]}.jsonl"] = _jsonl(_rows("ru", split, first=first, prefix=f"{version}-"))
        versions[version] = files
    gazeta_export = {f"default/{s}/0000.parquet": _parquet(_rows("ru", s, first=40, prefix="v2.0-")) for s in SPLITS}
    hub.add("IlyaGusev/gazeta", {**versions, "main": versions["v2.0"], "refs/convert/parquet": gazeta_export})

    cnn = {"README.md": _card(("3.0.0", s, f"3.0.0/{s}-*") for s in SPLITS)}
    for split in SPLITS:
        rows = [{"article": r["text"], "highlights": r["summary"], "id": r["id"]} for r in _rows("en", split)]
        cnn[f"3.0.0/{split}-00000-of-00001.parquet"] = _parquet(rows)
    hub.add("abisee/cnn_dailymail", {"main": cnn})

    # A user's own: Parquet in the repository; a loading script with an export; a gated one.
    hub.add("newsroom/briefs", {"main": {"README.md": _card(), "data/test-00000.parquet": _parquet(_rows("uk", "test"))}})
    hub.add("newsroom/scripted", {
        "main": {"README.md": _card(), "scripted.py": script},
        "refs/convert/parquet": {f"{c}/test/0000.parquet": _parquet(_rows("en", "test")) for c in ("short", "long")},
    })
    hub.add("newsroom/gated", {"main": {"README.md": _card(), "test.jsonl": _jsonl(_rows("en", "test"))}}, gated=True)


def add_model(hub: StandInHub, repo_id: str, directory: str) -> None:
    """Serve a checkpoint directory's files as model repository ``repo_id``."""
    from pathlib import Path

    files = {p.relative_to(directory).as_posix(): p.read_bytes() for p in Path(directory).rglob("*") if p.is_file()}
    hub.add(repo_id, {"main": files}, repo_type="model")


def standin_with_models(directory: str) -> StandInHub:
    """A stand-in with the built-in datasets and tiny random-weight models under every preset's id."""
    from pathlib import Path

    from summarize.presets import PRESETS
    from summarize.testing import build_tiny_checkpoint

    hub = StandInHub()
    add_datasets(hub)
    plain = build_tiny_checkpoint(Path(directory) / "tiny", max_input_tokens=64)
    cross = build_tiny_checkpoint(Path(directory) / "tiny-cross", cross_lingual=True, max_input_tokens=64)
    for preset in PRESETS.values():
        add_model(hub, preset.model_id, cross if preset.cross_lingual else plain)
    return hub


def main() -> int:
    """Serve the stand-in until Ctrl-C; prints the ``HF_ENDPOINT`` to use."""
    import tempfile
    import time

    with tempfile.TemporaryDirectory() as tmp:
        hub = standin_with_models(tmp)
        with hub.serving() as endpoint:
            print(f"stand-in hub serving; in another shell: export HF_ENDPOINT={endpoint}", flush=True)
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                return 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
