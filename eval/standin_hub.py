"""A stand-in of the Hugging Face hub on the loopback interface.

It answers the part of the hub's HTTP interface that ``huggingface_hub``
and ``datasets`` use to read a repository: revision info, the file tree,
paths-info, and file downloads (``HEAD`` and ranged ``GET``), with the
hub's error headers (``X-Error-Code``) for a missing repository, revision
or file and for a gated repository. Pointing ``HF_ENDPOINT`` at it runs the
libraries' real code, with no mock, on a machine that cannot reach the hub.

>>> hub = StandInHub()
>>> hub.add("org/news", {"main": {"README.md": b"# news"}}, repo_type="dataset")
>>> with hub.serving() as endpoint:
...     endpoint.startswith("http://127.0.0.1:")
True

Its repositories are given as files per revision (a branch, a tag, or a
ref such as ``refs/convert/parquet``); each revision gets a stable commit
hash of its own. :mod:`summarize_eval.standin_data` lays out the built-in
datasets as the real hub holds them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

REPO_TYPES = {"datasets": "dataset", "models": "model", "spaces": "space"}


@dataclass
class _Repo:
    repo_id: str
    repo_type: str
    revisions: dict[str, dict[str, bytes]]
    gated: bool = False
    commits: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, files in self.revisions.items():
            digest = hashlib.sha1(f"{self.repo_id}@{name}".encode())
            for path in sorted(files):
                digest.update(path.encode() + b"\0" + files[path])
            self.commits[name] = digest.hexdigest()

    def resolve(self, revision: str) -> str | None:
        """The revision's name for a branch, tag, ref or commit hash; None if unknown."""
        if revision in self.revisions:
            return revision
        return next((name for name, sha in self.commits.items() if sha == revision), None)


class StandInHub:
    """Repositories served over HTTP on 127.0.0.1, as the hub serves them."""

    def __init__(self) -> None:
        self._repos: dict[tuple[str, str], _Repo] = {}
        self.requests: list[str] = []

    def add(self, repo_id: str, revisions: Mapping[str, Mapping[str, bytes]], *, repo_type: str = "dataset",
            gated: bool = False) -> None:
        """Serve ``repo_id``: ``revisions`` maps a revision name to its files (path to bytes)."""
        self._repos[(repo_type, repo_id)] = _Repo(
            repo_id, repo_type, {name: dict(files) for name, files in revisions.items()}, gated=gated
        )

    def commit(self, repo_id: str, revision: str = "main", *, repo_type: str = "dataset") -> str:
        """The commit hash the stand-in gives ``revision`` of ``repo_id``."""
        return self._repos[(repo_type, repo_id)].commits[revision]

    @contextlib.contextmanager
    def serving(self, port: int = 0) -> Iterator[str]:
        """Serve on 127.0.0.1 (any free port by default); yields the endpoint for ``HF_ENDPOINT``."""
        server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, name="standin-hub", daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            server.server_close()

    # The routes, each answering (status, headers, body).

    def _find(self, kind: str, parts: list[str]) -> tuple[_Repo | None, list[str]]:
        """The repository named by the path's first one or two parts (``org/name`` or ``name``)."""
        repo_type = REPO_TYPES.get(kind, "model")
        for width in (2, 1):
            repo = self._repos.get((repo_type, "/".join(parts[:width])))
            if repo is not None:
                return repo, parts[width:]
        return None, parts

    def route(self, method: str, path: str, headers: Mapping[str, str], body: bytes):
        url = urlsplit(path)
        parts = [unquote(p) for p in url.path.split("/") if p]
        query = parse_qs(url.query)
        if parts[:1] == ["api"] and len(parts) >= 2:
            kind = parts[1]
            repo, rest = self._find(kind, parts[2:])
            if repo is None:
                return _error(404, "RepoNotFound", "Repository not found")
            if repo.gated:
                return _error(401 if "authorization" not in headers else 403, "GatedRepo", "Access to this repo is restricted")
            if rest[:1] == ["revision"] and len(rest) >= 2:
                return self._info(repo, "/".join(rest[1:]))
            if rest[:1] == ["tree"] and len(rest) >= 2:
                return self._tree(repo, rest[1], "/".join(rest[2:]), _flag(query, "recursive"))
            if rest[:1] == ["paths-info"] and len(rest) >= 2:
                return self._paths_info(repo, rest[1], body, headers.get("content-type", ""))
            if not rest:
                return self._info(repo, "main")
            return _error(404, None, f"no route {url.path}")
        kind = parts[0] if parts and parts[0] in REPO_TYPES else "models"
        repo, rest = self._find(kind, parts[1:] if kind == parts[0] else parts)
        if repo is None:
            return _error(404, "RepoNotFound", "Repository not found")
        if rest[:1] != ["resolve"] or len(rest) < 3:
            return _error(404, None, f"no route {url.path}")
        if repo.gated:
            return _error(401 if "authorization" not in headers else 403, "GatedRepo", "Access to this repo is restricted")
        return self._file(repo, rest[1], "/".join(rest[2:]), method, headers.get("range"))

    def _revision(self, repo: _Repo, revision: str):
        name = repo.resolve(revision)
        return (name, repo.revisions[name], repo.commits[name]) if name else (None, None, None)

    def _info(self, repo: _Repo, revision: str):
        name, files, sha = self._revision(repo, revision)
        if name is None:
            return _error(404, "RevisionNotFound", f"Invalid rev id: {revision}")
        info = {
            "id": repo.repo_id, "sha": sha, "private": False, "gated": False, "disabled": False,
            "lastModified": "2024-01-01T00:00:00.000Z", "tags": [], "downloads": 0, "likes": 0,
            "siblings": [{"rfilename": p} for p in sorted(files)],
        }
        if repo.repo_type == "dataset":
            info["cardData"] = {}
        return 200, {"Content-Type": "application/json"}, json.dumps(info).encode()

    def _tree(self, repo: _Repo, revision: str, folder: str, recursive: bool):
        name, files, _ = self._revision(repo, revision)
        if name is None:
            return _error(404, "RevisionNotFound", f"Invalid rev id: {revision}")
        prefix = f"{folder.strip('/')}/" if folder.strip("/") else ""
        if prefix and not any(p.startswith(prefix) for p in files):
            return _error(404, "EntryNotFound", f"{folder} does not exist on {revision}")
        entries: dict[str, dict] = {}
        for path in sorted(files):
            if not path.startswith(prefix):
                continue
            rest = path[len(prefix):].split("/")
            depth = len(rest) if recursive else 1
            for i in range(1, min(depth, len(rest) - 1) + 1):
                sub = prefix + "/".join(rest[:i])
                entries.setdefault(sub, {"type": "directory", "oid": _oid(sub.encode()), "size": 0, "path": sub})
            if recursive or len(rest) == 1:
                entries[path] = _file_entry(path, files[path])
        return 200, {"Content-Type": "application/json"}, json.dumps(list(entries.values())).encode()

    def _paths_info(self, repo: _Repo, revision: str, body: bytes, content_type: str):
        name, files, _ = self._revision(repo, revision)
        if name is None:
            return _error(404, "RevisionNotFound", f"Invalid rev id: {revision}")
        if "json" in content_type:
            paths = json.loads(body or b"{}").get("paths", [])
        else:
            paths = parse_qs(body.decode()).get("paths", [])
        found = []
        for path in paths:
            if path in files:
                found.append(_file_entry(path, files[path]))
            elif any(p.startswith(path.rstrip("/") + "/") for p in files):
                found.append({"type": "directory", "oid": _oid(path.encode()), "size": 0, "path": path})
        return 200, {"Content-Type": "application/json"}, json.dumps(found).encode()

    def _file(self, repo: _Repo, revision: str, path: str, method: str, byte_range: str | None):
        name, files, sha = self._revision(repo, revision)
        if name is None:
            return _error(404, "RevisionNotFound", f"Invalid rev id: {revision}")
        if path not in files:
            return _error(404, "EntryNotFound", f"{path} does not exist on {revision}")
        data = files[path]
        headers = {"X-Repo-Commit": sha, "ETag": f'"{_oid(data)}"', "Accept-Ranges": "bytes",
                   "Content-Type": "application/octet-stream"}
        status = 200
        if byte_range and byte_range.startswith("bytes="):
            start_text, _, stop_text = byte_range[6:].partition("-")
            start = int(start_text or 0)
            stop = min(int(stop_text) if stop_text else len(data) - 1, len(data) - 1)
            headers["Content-Range"] = f"bytes {start}-{stop}/{len(data)}"
            data = data[start:stop + 1]
            status = 206
        headers["Content-Length"] = str(len(data))
        return status, headers, b"" if method == "HEAD" else data


def _oid(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _file_entry(path: str, data: bytes) -> dict:
    return {"type": "file", "oid": _oid(data), "size": len(data), "path": path}


def _flag(query: Mapping[str, list[str]], name: str) -> bool:
    return query.get(name, ["false"])[-1].lower() in ("1", "true")


def _error(status: int, code: str | None, message: str):
    headers = {"Content-Type": "application/json", "X-Error-Message": message}
    if code:
        headers["X-Error-Code"] = code
    return status, headers, json.dumps({"error": message}).encode()


def _handler(hub: StandInHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            hub.requests.append(f"{self.command} {self.path}")
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                status, out_headers, data = hub.route(self.command, self.path, headers, body)
            except Exception as exc:  # noqa: BLE001 - a stand-in answers 500 as the hub would
                status, out_headers, data = _error(500, None, f"{type(exc).__name__}: {exc}")
            self.send_response(status)
            for key, value in out_headers.items():
                self.send_header(key, value)
            if "Content-Length" not in out_headers:
                self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_HEAD = do_POST = _answer

        def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
            pass

    return Handler
